"""Webspaces end to end: through the panel's API and a real worker onto a testbed host, with a
certificate from Pebble (the ACME test server) validated over real HTTP-01.

One module-scoped live panel with one host; the tests run in file order, each building on the
site the one before left."""

import re
import shlex

import pytest
from e2e_support import live_panel
from hosts_support import acme_server, http_get
from polling import poll

from panel_testbed import PREFIX

pytestmark = pytest.mark.testbed

HOST = f"{PREFIX}1"
SITE = "site.example"
FIRST = "first.example"
PAGE = "<?php echo posix_getpwuid(posix_geteuid())['name'], ' serves ', $_SERVER['HTTP_HOST'];"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with (
        live_panel(tmp_path_factory.mktemp("live"), "sqlite", hosts=1) as panel,
        acme_server() as acme,
    ):
        # Job variables are made where the change is asked for: the test's app, and the
        # panel's command line, which reads the environment.
        settings = {
            "ACME_DIRECTORY_URL": acme.directory_url,
            "ACME_CA_FILE": str(acme.ca_file),
            "ACME_EMAIL": "hostmaster@example.org",
        }
        panel.app.config.update(settings)
        panel.env.update({f"PANEL_{key}": value for key, value in settings.items()})
        for name in (SITE, FIRST):
            acme.add_name(name, panel.hosts[HOST].address)
        panel.acme = acme
        yield panel


@pytest.fixture(scope="module")
def member(live):
    body = {"name": "Erika Muster", "email": "erika@example.org", "prefix": "eri"}
    response = live.client().post("/api/v1/members", json=body)
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture(scope="module")
def webspace(live, member):
    response = live.client().post("/api/v1/webspaces", json={"member_id": member["id"]})
    assert response.status_code == 202, response.json
    live.wait_for_job(response.json["job_id"], "successful", timeout=120)
    return live.client().get(f"/api/v1/webspaces/{response.json['id']}").json


def address(live) -> str:
    return live.hosts[HOST].address


def change(live, method: str, url: str, body: dict | None = None, timeout: float = 120) -> dict:
    """Make a change through the API and wait for its job, and for those of the databases and
    users that follow a webspace's change; returns the resource as the answer showed it."""
    response = live.client().open(url, method=method, json=body)
    assert response.status_code == 202, response.json
    job = live.wait_for_job(response.json["job_id"], "successful", timeout=timeout)
    for status in ("queued", "running"):
        for other in live.client().get(f"/api/v1/jobs?status={status}").json:
            live.wait_for_job(other["id"], "successful", timeout=timeout)
    return {**response.json, "job": job}


def test_a_new_webspace_is_set_up_on_its_host(live, webspace):
    assert webspace["name"] == "eri00"
    assert webspace["state"] == "active"
    assert webspace["host"] == HOST
    assert isinstance(webspace["uid"], int)
    status, owner = live.on_host(HOST, "stat -c %U /home/webspaces/eri00/domains")
    assert (status, owner) == (0, "eri00\n")


def test_a_domain_serves_php_as_the_webspace_user_over_verified_https(live, webspace):
    domain = change(
        live, "POST", f"/api/v1/webspaces/{webspace['id']}/domains", {"name": SITE, "tls": True}
    )
    root = f"/home/webspaces/eri00/{domain['document_root']}"
    status, _ = live.on_host(
        HOST,
        f"printf %s {shlex.quote(PAGE)} > {root}/index.php && chown eri00:eri00 {root}/index.php",
    )
    assert status == 0
    plain = http_get(address(live), SITE)
    assert plain.status == 301 and plain.headers["Location"].startswith(f"https://{SITE}")
    secure = http_get(address(live), SITE, "/index.php", https=True, ca_file=issued_root(live))
    assert (secure.status, secure.body) == (200, f"eri00 serves {SITE}")
    shown = live.client().get(f"/api/v1/domains/{domain['id']}").json
    assert shown["state"] == "active"
    assert shown["tls_not_after"] and shown["tls_error"] == ""
    metrics = live.client().get("/metrics").text
    assert re.search(rf'panel_domain_tls_not_after_timestamp_seconds{{domain="{SITE}"', metrics)


def test_the_same_change_again_changes_nothing_on_the_host(live, webspace):
    domain = live.client().get(f"/api/v1/webspaces/{webspace['id']}/domains").json[0]
    again = change(live, "PATCH", f"/api/v1/domains/{domain['id']}", {"tls": True})
    assert again["job"]["stats"]["changed"] == {}


def test_a_database_accepts_the_password_shown_once(live, webspace):
    response = live.client().post(
        f"/api/v1/webspaces/{webspace['id']}/databases", json={"engine": "mariadb", "name": "shop"}
    )
    assert response.status_code == 202, response.json
    password = response.json["password"]
    live.wait_for_job(response.json["job_id"], "successful", timeout=120)
    login = f"mysql -h 127.0.0.1 -u eri00_shop -p'{password}' eri00_shop -N -e 'SELECT 42'"
    assert live.on_host(HOST, login) == (0, "42\n")
    job = live.job(response.json["job_id"])
    assert password not in str(job)


def test_reapply_brings_the_current_site_rules_to_a_site_served_already(live, webspace):
    """A site set up by an earlier panel (here: its rule against hidden files taken out of its
    nginx file) serves .env; `panel webspaces reapply` sets the webspace and its parts up again
    by the current playbooks, and the site keeps serving, now without it."""
    site_file = f"/etc/nginx/sites-available/webspace-{SITE}.conf"
    older = f"sed -i '/location ~ \\/\\\\.(?!well-known\\/) {{/,/}}/d' {site_file}"
    root = "/home/webspaces/eri00/domains/site.example/htdocs"
    # Written by the member: root's redirection would follow a link planted in its place.
    secret = f"runuser -u eri00 -- sh -c 'printf DB_PASSWORD=x > {root}/.env'"
    assert live.on_host(HOST, f"{older} && {secret} && systemctl reload nginx")[0] == 0
    ca_file = issued_root(live)

    def status_of_env() -> int:
        return http_get(address(live), SITE, "/.env", https=True, ca_file=ca_file).status

    # nginx's reload is done when its new workers answer.
    poll(lambda: status_of_env() == 200, 10, "the older site does not serve .env")

    done = live.cli("webspaces", "reapply", "--host", HOST)
    assert done.stdout.startswith(f"3 jobs queued on {HOST}\n"), done.stdout
    job_ids = [int(line.split("\t")[0]) for line in done.stdout.splitlines()[1:]]
    for job_id in job_ids:
        live.wait_for_job(job_id, "successful", timeout=120)

    poll(lambda: status_of_env() == 403, 10, "the site set up again still serves .env")
    secure = http_get(address(live), SITE, "/index.php", https=True, ca_file=ca_file)
    assert (secure.status, secure.body) == (200, f"eri00 serves {SITE}")


def test_delete_takes_the_site_offline_and_restore_brings_it_back(live, webspace):
    url = f"/api/v1/webspaces/{webspace['id']}"
    change(live, "DELETE", url)
    assert live.client().get(url).json["state"] == "deleted"
    assert "eri00 serves" not in http_get(address(live), SITE, "/index.php").body
    assert live.on_host(HOST, "test -e /home/webspaces/eri00")[0] != 0

    change(live, "POST", f"{url}/restore")
    assert live.client().get(url).json["state"] == "active"
    secure = http_get(address(live), SITE, "/index.php", https=True, ca_file=issued_root(live))
    assert (secure.status, secure.body) == (200, f"eri00 serves {SITE}")


def test_purge_removes_the_webspace_for_good(live, webspace):
    url = f"/api/v1/webspaces/{webspace['id']}"
    change(live, "DELETE", url)
    change(live, "POST", f"{url}/purge")
    shown = live.client().get(url).json
    assert shown["state"] == "deleted" and shown["purge_after"] is None
    assert live.on_host(HOST, "id eri00")[0] != 0
    assert live.on_host(HOST, "ls /var/backups/webspaces/ | grep -c eri00 || true")[1] == "0\n"


def test_a_new_webspace_serves_its_first_domain_over_https_in_one_job(live, member):
    created = change(
        live,
        "POST",
        "/api/v1/webspaces",
        {"member_id": member["id"], "first_domain": {"name": FIRST, "tls": True}},
    )
    (domain,) = live.client().get(f"/api/v1/webspaces/{created['id']}/domains").json
    assert domain["state"] == "active" and domain["tls_not_after"], domain
    assert live.client().get(f"/api/v1/webspaces/{created['id']}").json["state"] == "active"
    domain_jobs = live.client().get("/api/v1/jobs?action=domain").json
    assert not [job for job in domain_jobs if job["id"] > created["job_id"]]
    secure = http_get(address(live), FIRST, https=True, ca_file=issued_root(live))
    assert secure.status == 200 and FIRST in secure.body
    # The domain's own playbook finds nothing to change after the webspace's run.
    again = change(live, "PATCH", f"/api/v1/domains/{domain['id']}", {"tls": True})
    assert again["job"]["stats"]["changed"] == {}


def issued_root(live) -> str:
    """Pebble's root of issued certificates, in a file to verify HTTPS against."""
    path = live.folder / "pebble-root.pem"
    if not path.exists():
        path.write_text(live.acme.issued_root_pem())
    return str(path)
