"""Claims proven at the same moment: exactly one member gets the name, the others learn why
(a database of the test's own, SQLite or PostgreSQL like the suite, committed for real: the
verifications must see each other)."""

import os
import threading

import pytest
from scratch_databases import fresh_postgres
from sqlalchemy import select
from webspace_jobs import succeed

from panel import create_app
from panel.coop.operations import create_member
from panel.core.audit import acting
from panel.core.errors import Conflict
from panel.core.migrate import upgrade
from panel.extensions import db
from panel.hosts.models import Host, HostState
from panel.webspaces import domains, operations
from panel.webspaces.domains import verification_record
from panel.webspaces.models import Domain, Webspace

ROUNDS = 5
MEMBERS = 4


@pytest.fixture(autouse=True)
def transaction():
    """This test commits to a database of its own."""
    yield


@pytest.fixture
def app(tmp_path):
    wanted = os.environ.get("PANEL_TEST_DATABASE_URL", "")
    url, drop = (
        fresh_postgres(wanted, "panel_claims")
        if wanted.startswith("postgresql")
        else (f"sqlite:///{tmp_path / 'claims.db'}", lambda: None)
    )
    upgrade(url)
    application = create_app(
        {"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "claims"}
    )
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


def webspaces(count: int) -> list[int]:
    """Active webspaces of as many members."""
    host = Host(
        name="web1",
        address="198.18.0.2",
        host_key="k",
        fingerprint="f",
        state=HostState.READY,
        capacity=100,
    )
    db.session.add(host)
    db.session.commit()
    made = []
    for index in range(count):
        prefix = "r" + chr(97 + index // 26) + chr(97 + index % 26)
        with acting("cli"):
            member = create_member(name=f"R{index}", email=f"{prefix}@example.org", prefix=prefix)
            webspace, job = operations.create_webspace(member)
            succeed(job, {"webspace": {"uid": 2000 + index}})
        made.append(webspace.id)
    return made


def claim(webspace_ids: list[int], name: str, www_alias: bool = False) -> list[int]:
    ids = []
    for webspace_id in webspace_ids:
        with acting("cli"):
            domain, _ = domains.add_domain(
                db.session.get(Webspace, webspace_id), name, www_alias=www_alias
            )
        ids.append(domain.id)
    return ids


def verify_at_once(app, domain_ids: list[int]) -> dict[int, str]:
    """Each claim verified by a thread of its own, all let go together: "won" or the refusal."""
    barrier = threading.Barrier(len(domain_ids))
    outcomes: dict[int, str] = {}

    def verify(domain_id: int) -> None:
        with app.app_context(), acting("cli"):
            barrier.wait(timeout=30)
            try:
                domains.verify_domain(db.session.get(Domain, domain_id))
                outcomes[domain_id] = "won"
            except Conflict as exc:
                outcomes[domain_id] = exc.message
            except Exception as exc:  # reported by the assertion below
                outcomes[domain_id] = repr(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=verify, args=(domain_id,)) for domain_id in domain_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def publish(dns_server, domain_ids: list[int]) -> None:
    records: dict[str, list[str]] = {}
    for domain_id in domain_ids:
        name, value = verification_record(db.session.get(Domain, domain_id))
        records.setdefault(name, []).append(value)
    dns_server.serve(records)


def test_one_of_the_claims_proven_at_once_wins(app, dns_server):
    with app.app_context():
        spaces = webspaces(MEMBERS)
        rounds = [claim(spaces, f"race{number}.example") for number in range(ROUNDS)]
        publish(dns_server, [domain_id for ids in rounds for domain_id in ids])
    for number, ids in enumerate(rounds):
        outcomes = verify_at_once(app, ids)
        reason = f"Another member proved control of race{number}.example first."
        assert sorted(outcomes.values()) == [reason] * (MEMBERS - 1) + ["won"], outcomes
        with app.app_context():
            states = {
                domain.id: domain.state
                for domain in db.session.scalars(select(Domain).where(Domain.id.in_(ids)))
            }
        assert states == {
            domain_id: "pending" if outcome == "won" else "lost"
            for domain_id, outcome in outcomes.items()
        }


def test_a_www_alias_and_a_www_domain_proven_at_once_do_not_both_go_live(app, dns_server):
    with app.app_context():
        first, second = webspaces(2)
        rounds = [
            claim([first], f"alias{number}.example", www_alias=True)
            + claim([second], f"www.alias{number}.example")
            for number in range(ROUNDS)
        ]
        publish(dns_server, [domain_id for ids in rounds for domain_id in ids])
    for ids in rounds:
        outcomes = verify_at_once(app, ids)
        assert list(outcomes.values()).count("won") == 1, outcomes
        with app.app_context():
            live = db.session.scalars(
                select(Domain).where(Domain.id.in_(ids), Domain.verified_at.is_not(None))
            ).all()
        assert len(live) == 1
