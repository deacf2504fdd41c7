"""playbooks/dist-upgrade.yml against a real bookworm testbed host that carries a webspace with a
PHP site over TLS (a certificate from Pebble), a MariaDB and a PostgreSQL database: the host comes
back on trixie, the site still answers over HTTPS, both databases still hold their rows (the
PostgreSQL cluster now on trixie's server), the webspace's playbooks run again move its PHP to
trixie's, and a second upgrade run changes nothing. trixie's packages come from a local
repository of the testbed (panel_testbed.mirror), served on the lane's link, since the hosts
reach nothing beyond it."""

import shlex

import pytest
from hosts_support import (
    PLAYBOOK_TIMEOUT,
    acme_server,
    custom_stats,
    describe,
    http_get,
    on_host,
    run_playbook,
    served_repository,
    testbed_hosts,
)

from panel_testbed import mirror

pytestmark = pytest.mark.testbed

WEBSPACE = "abc00"
SITE = "upgraded.test"
HTDOCS = f"/home/webspaces/{WEBSPACE}/domains/{SITE}/htdocs"
PASSWORD = "kept-across-the-upgrade-9f2c"
# A whole release upgrade with its reboot and the PostgreSQL cluster's upgrade: 10 minutes were
# not enough in CI beside the other lanes.
UPGRADE_TIMEOUT = 1800


@pytest.fixture(autouse=True)
def transaction():
    """These tests use no database of the test run: the shared rolled-back session stays out."""
    yield None


def test_a_bookworm_host_with_sites_and_databases_upgrades_to_trixie(tmp_path):
    folder = mirror.ensure_mirror("trixie", print)
    with (
        testbed_hosts(1, suites="bookworm") as state,
        acme_server() as acme,
        served_repository(folder) as url,
    ):
        host = state.hosts[0]

        def play(playbook: str, timeout: int = PLAYBOOK_TIMEOUT, **extravars):
            runner = run_playbook(state, playbook, host.name, extravars, timeout=timeout)
            assert runner.status == "successful", describe(runner)
            return runner

        def sh(command: str) -> str:
            status, output = on_host(state, host.name, command)
            assert status == 0, f"{command}: exit {status}\n{output}"
            return output.strip()

        site = {
            "webspace_name": WEBSPACE,
            "webspace_state": "active",
            "webspace_quota_soft_mib": 1024,
            "webspace_quota_hard_mib": 1280,
            "webspace_archive_days": 30,
            "domain_name": SITE,
            "domain_state": "active",
            "domain_aliases": [],
            "domain_redirect": "",
            "domain_tls": True,
            "acme_directory_url": acme.directory_url,
            "acme_email": "hostmaster@example.org",
            "acme_ca_cert": acme.ca_cert_pem,
        }
        space = {key: value for key, value in site.items() if key.startswith("webspace_")}
        acme.add_name(SITE, host.address)
        assert sh(". /etc/os-release; echo $VERSION_CODENAME") == "bookworm"
        play("webspace.yml", **space)
        play("domain.yml", **site)
        sh(f"echo '<?php echo PHP_VERSION;' | runuser -u {WEBSPACE} -- tee {HTDOCS}/v.php")
        root = tmp_path / "issued-root.pem"
        root.write_text(acme.issued_root_pem())

        def php_version() -> str:
            answer = http_get(host.address, SITE, "/v.php", https=True, ca_file=root)
            assert answer.status == 200, answer
            return answer.body

        assert php_version().startswith("8.2.")
        ports = {}
        for engine in ("mariadb", "postgresql"):
            name = f"{WEBSPACE}_{engine[:5]}"
            runner = play(
                "database.yml",
                webspace_name=WEBSPACE,
                database_engine=engine,
                database_name=name,
                database_user=name,
                database_password=PASSWORD,
                database_state="active",
            )
            ports[engine] = custom_stats(runner)["database"]["port"]

        def query(engine: str, sql: str) -> str:
            name = f"{WEBSPACE}_{engine[:5]}"
            if engine == "mariadb":
                command = (
                    f"mysql --host=127.0.0.1 --port={ports[engine]} --user={name}"
                    f" --password={PASSWORD} --batch --skip-column-names --database={name}"
                    f" --execute={shlex.quote(sql)}"
                )
            else:
                target = f"postgresql://{name}:{PASSWORD}@127.0.0.1:{ports[engine]}/{name}"
                command = f"psql {shlex.quote(target)} --no-psqlrc -tAq -c {shlex.quote(sql)}"
            return sh(command)

        for engine in ports:
            query(engine, "CREATE TABLE kept (note VARCHAR(40))")
            query(engine, "INSERT INTO kept VALUES ('written on bookworm')")

        upgrade = {
            "dist_upgrade_sources": mirror.sources_entry(url),
            "dist_upgrade_sites": [SITE],
            "dist_upgrade_webspaces": [space],
        }
        runner = play("dist-upgrade.yml", UPGRADE_TIMEOUT, **upgrade)
        assert custom_stats(runner)["released"] == {host.name: "trixie"}
        assert sh(". /etc/os-release; echo $VERSION_CODENAME") == "trixie"
        for engine in ports:
            assert query(engine, "SELECT note FROM kept") == "written on bookworm"
        assert sh("pg_lsclusters --no-header | awk '{print $1, $2, $4}'") == "17 main online"
        # The upgrade moved the webspace's PHP to trixie's; its own playbooks, run again as the
        # panel does afterwards, change nothing more.
        assert php_version().startswith("8.4.")
        for playbook, variables in (("webspace.yml", space), ("domain.yml", site)):
            again = play(playbook, **variables)
            assert not any(again.stats["changed"].values()), describe(again)

        again = play("dist-upgrade.yml", **upgrade)
        assert not any(again.stats["changed"].values()), describe(again)
