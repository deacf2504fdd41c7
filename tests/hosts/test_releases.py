"""Each host's Debian release and security state: the table of releases with the end of their
regular security support, the facts the ping job reports, the host list, the host page (with the
warning about a release without security support) and the API, in English and German."""

from datetime import date

from panel.core.audit import acting
from panel.extensions import db
from panel.hosts.releases import RELEASES, security_state
from panel.provisioning import operations
from panel.provisioning.models import JobStatus

BOOKWORM = {"os": "Debian 12.8 (bookworm)", "release": "bookworm", "release_version": "12"}
TRIXIE = {"os": "Debian 13.2 (trixie)", "release": "trixie", "release_version": "13"}
CHECKED = {"security_updates": 0, "security_checked_at": "2026-12-05T10:00:00+00:00"}


def test_bookworm_lost_its_regular_security_support_on_2026_06_10_trixie_has_it():
    bookworm = security_state({**BOOKWORM, **CHECKED}, today=date(2026, 12, 5))
    assert (bookworm.release, bookworm.supported) == ("Debian 12 bookworm", False)
    assert bookworm.security_until == date(2026, 6, 10)
    assert security_state(BOOKWORM, today=date(2026, 6, 10)).supported is True
    trixie = security_state({**TRIXIE, **CHECKED}, today=date(2026, 12, 5))
    assert (trixie.release, trixie.supported, trixie.security_until) == (
        "Debian 13 trixie",
        True,
        None,
    )
    assert (trixie.pending_updates, trixie.current) == (0, True)
    assert trixie.checked_at.isoformat() == "2026-12-05T10:00:00+00:00"
    assert set(RELEASES) >= {"bookworm", "trixie"}


def test_an_unknown_release_or_an_unchecked_host_says_so():
    unknown = security_state({"os": "Ubuntu 22.04 (jammy)", "release": "jammy"})
    assert (unknown.release, unknown.supported) == ("Ubuntu 22.04 (jammy)", None)
    assert (unknown.pending_updates, unknown.current, unknown.checked_at) == (None, None, None)
    assert security_state(None).release == ""
    bad = security_state({"security_updates": "3", "security_checked_at": "yesterday"})
    assert (bad.pending_updates, bad.checked_at) == (None, None)


def test_a_ping_reports_the_release_and_the_pending_security_updates(make_host):
    host = make_host("rel1")
    reported = {"rel1": {**TRIXIE, "security_updates": "2", "cpus": "2"}}
    with acting("cli"):
        job = operations.create_job("ping", ["rel1"])
        operations.finish_job(job, JobStatus.SUCCESSFUL, stats={"data": {"hosts": reported}})
        db.session.commit()
    assert host.facts["release"] == "trixie" and host.facts["security_updates"] == 2
    assert host.security.pending_updates == 2 and host.security.checked_at is not None
    with acting("cli"):
        bad = operations.create_job("ping", ["rel1"])
        broken = {"rel1": {"security_updates": "many", "release": ""}}
        operations.finish_job(bad, JobStatus.SUCCESSFUL, stats={"data": {"hosts": broken}})
        db.session.commit()
    assert host.facts["release"] == "trixie" and host.facts["security_updates"] == 2


def hosts_with_facts(make_host):
    old = make_host("old1")
    old.facts = {**BOOKWORM, **CHECKED}
    new = make_host("new1")
    new.facts = {
        **TRIXIE,
        "security_updates": 3,
        "security_checked_at": CHECKED["security_checked_at"],
    }
    db.session.commit()
    return old, new


def test_the_host_list_and_page_show_the_release_and_warn_about_bookworm(login_as, make_host):
    old, new = hosts_with_facts(make_host)
    client, _ = login_as("admin")
    listing = client.get("/admin/hosts").get_data(as_text=True)
    assert "<th>Debian release</th>" in listing and "<th>Security updates</th>" in listing
    assert ">Debian 12 bookworm</td>" in listing and ">Debian 13 trixie</td>" in listing
    assert listing.count("release without security support") == 1
    assert "3 security updates pending" in listing and ">current<" in listing
    page = client.get(f"/admin/hosts/{old.id}").get_data(as_text=True)
    assert '<td id="release">Debian 12 bookworm</td>' in page
    assert (
        "Debian 12 bookworm gets no regular security updates since June 10, 2026: upgrade this host"
        in page
    )
    assert "December 5, 2026, 11:00\u202fAM" in page  # 10:00 UTC in Europe/Berlin
    current = client.get(f"/admin/hosts/{new.id}").get_data(as_text=True)
    assert 'id="security-warning"' not in current
    assert "Debian 13 trixie" in current and "3 security updates pending" in current


def test_the_host_page_speaks_german(login_as, make_host):
    old, _ = hosts_with_facts(make_host)
    client, _ = login_as("admin")
    with client.session_transaction() as session:
        session["lang"] = "de"
    page = client.get(f"/admin/hosts/{old.id}").get_data(as_text=True)
    assert "<th>Debian-Version</th>" in page and "<th>Letzte Sicherheitsprüfung</th>" in page
    assert "Debian 12 bookworm bekommt seit 10. Juni 2026 keine regulären Sicherheits" in page
    listing = client.get("/admin/hosts").get_data(as_text=True)
    assert "3 Sicherheitsupdates ausstehend" in listing and ">aktuell<" in listing


def test_the_api_gives_each_hosts_release_and_security_state(api_as, make_host):
    _, new = hosts_with_facts(make_host)
    client, _ = api_as("admin")
    listed = {host["name"]: host["security"] for host in client.get("/api/v1/hosts").json}
    assert listed["old1"] == {
        "release": "Debian 12 bookworm",
        "codename": "bookworm",
        "supported": False,
        "security_until": "2026-06-10",
        "pending_updates": 0,
        "current": True,
        "checked_at": "2026-12-05T10:00:00+00:00",
    }
    one = client.get(f"/api/v1/hosts/{new.id}").json["security"]
    assert (one["supported"], one["security_until"], one["pending_updates"]) == (True, None, 3)
    assert one["current"] is False


def test_the_openapi_document_describes_the_security_state(client):
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    (reference,) = schemas["Host"]["properties"]["security"]["allOf"]
    assert reference == {"$ref": "#/components/schemas/HostSecurity"}
    assert set(schemas["HostSecurity"]["properties"]) == {
        "release",
        "codename",
        "supported",
        "security_until",
        "pending_updates",
        "current",
        "checked_at",
    }
