"""A mixed fleet: one testbed with a trixie host and a bookworm host (`panel testbed up --suite
trixie,bookworm`), each running its own Debian release with its own PHP, and webspace.yml and
domain.yml serving a PHP page on both from the same playbooks."""

import base64

import pytest
from hosts_support import describe, http_get, on_host, run_playbook, testbed_hosts

pytestmark = pytest.mark.testbed

# Each suite's release and PHP-FPM, as Debian ships them.
RELEASES = {"trixie": ("13", "8.4"), "bookworm": ("12", "8.2")}
SITE = "mixed.test"
PAGE = "<?php echo PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION . ' ' . get_current_user();\n"


@pytest.fixture(autouse=True)
def transaction():
    """These tests use no database of the test run: the shared rolled-back session stays out."""
    yield None


def test_each_host_runs_its_release_and_serves_a_webspace():
    with testbed_hosts(2, suites="trixie,bookworm") as state:
        assert [host.suite for host in state.hosts] == ["trixie", "bookworm"]
        for number, host in enumerate(state.hosts):
            version, php = RELEASES[host.suite]
            release = on_host(
                state, host.name, ". /etc/os-release && echo $VERSION_CODENAME $VERSION_ID"
            )
            assert release == (0, f"{host.suite} {version}\n")

            name = f"mix0{number}"
            webspace = {
                "webspace_name": name,
                "webspace_state": "active",
                "webspace_quota_soft_mib": 1024,
                "webspace_quota_hard_mib": 1280,
                "webspace_archive_days": 30,
            }
            runner = run_playbook(state, "webspace.yml", host.name, webspace)
            assert runner.status == "successful", describe(runner)
            site = {
                **webspace,
                "domain_name": SITE,
                "domain_state": "active",
                "domain_aliases": [],
                "domain_redirect": "",
                "domain_tls": False,
            }
            runner = run_playbook(state, "domain.yml", host.name, site)
            assert runner.status == "successful", describe(runner)

            encoded = base64.b64encode(PAGE.encode()).decode()
            htdocs = f"/home/webspaces/{name}/domains/{SITE}/htdocs"
            status, output = on_host(
                state,
                host.name,
                f"echo {encoded} | base64 -d | runuser -u {name} -- tee {htdocs}/php.php",
            )
            assert status == 0, output
            response = http_get(host.address, SITE, "/php.php")
            assert (response.status, response.body) == (200, f"{php} {name}")
