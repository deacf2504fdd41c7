"""Nobody can tell from the database, the audit log or the log output who chose what on a
secret resolution: the whole database is dumped and searched for a voter beside its receipt
or choice."""

import logging

from resolutions_support import end_vote, make_resolution
from secrecy_support import CHOICE_WORDS, Voter, flat, values
from sqlalchemy import MetaData, select

from panel.core.audit import AuditEntry
from panel.core.secrets import decrypt
from panel.extensions import db
from panel.governance import operations
from panel.governance.models import BallotChoice, Participation


def dump() -> tuple[dict[str, list[dict]], MetaData]:
    """Every row of every table, as the database holds it (reflected, not through models)."""
    connection = db.session.connection()
    metadata = MetaData()
    metadata.reflect(bind=connection)
    return {
        name: [dict(row._mapping) for row in connection.execute(table.select())]
        for name, table in metadata.tables.items()
    }, metadata


def member_columns(metadata, table_name: str) -> set[str]:
    """The columns of the table that refer to a member."""
    return {
        key.parent.name
        for key in metadata.tables[table_name].foreign_keys
        if key.column.table.name == "members"
    }


def vote(resolution, voters, caplog):
    """A ballot by each voter, some changed, one through a proxy; returns the Voter records."""
    motion = operations.motion(resolution).id
    principal, proxy, *others = voters
    operations.authorise_proxy(resolution, principal, proxy)
    records = {m.id: Voter(m.id, m.number, m.email) for m in voters}
    with caplog.at_level(logging.DEBUG):
        for index, member in enumerate(voters):
            choice = ("yes", "no", "abstain")[index % 3]
            records[member.id].receipts.add(
                operations.cast_ballot(resolution, member, {motion: choice})
            )
        # Changes of vote: the old receipts must vanish as well.
        for member in others[:2]:
            records[member.id].receipts.add(
                operations.cast_ballot(resolution, member, {motion: "no"})
            )
        records[principal.id].receipts.add(
            operations.cast_ballot(resolution, proxy, {motion: "yes"}, on_behalf_of=principal)
        )
    return list(records.values())


def test_no_row_links_a_voter_to_its_secret_ballot(voter, caplog):
    resolution = make_resolution()
    voters = vote(resolution, [voter() for _ in range(6)], caplog)
    end_vote(resolution)

    tables, metadata = dump()
    for name, rows in tables.items():
        members = member_columns(metadata, name)
        for row in rows:
            text = " ".join(flat(value) for value in row.values())
            for person in voters:
                named = person.named_in(text) or any(row[c] == person.member_id for c in members)
                assert not (named and person.secret_in(text)), (name, row)
                if named and name != "audit_entries":
                    assert not CHOICE_WORDS & {flat(value) for value in row.values()}, (name, row)
    assert all(row["member_id"] is None for row in tables["ballot_choices"])
    # No timestamp and no sequence that would give the ballots' order.
    assert set(metadata.tables["ballot_choices"].columns.keys()) == {
        "receipt",
        "item_id",
        "resolution_id",
        "choice",
        "member_id",
    }


def test_participations_hold_the_receipt_only_sealed(voter, caplog):
    resolution = make_resolution()
    voters = {
        person.member_id: person for person in vote(resolution, [voter() for _ in range(4)], caplog)
    }

    sealed = db.session.execute(select(Participation.member_id, Participation.sealed_receipt)).all()
    assert len(sealed) == 4
    for member_id, token in sealed:
        assert not voters[member_id].secret_in(token)
        assert decrypt(token) in voters[member_id].receipts
    # The ballots counted are exactly those the participations' sealed receipts name.
    assert set(db.session.scalars(select(BallotChoice.receipt))) == {
        decrypt(token) for _, token in sealed
    }


def test_the_audit_log_and_the_log_output_hold_no_receipt_or_choice(voter, caplog):
    resolution = make_resolution()
    voters = vote(resolution, [voter() for _ in range(4)], caplog)

    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "resolution.vote"))
    votes = list(entries)
    assert len(votes) == 7
    for entry in votes:
        leaves = [flat(leaf) for leaf in values([entry.before, entry.after])]
        assert not CHOICE_WORDS & set(leaves)
        assert not any(person.secret_in(" ".join(leaves)) for person in voters)
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert not any(person.secret_in(logged) for person in voters)
    assert not any(person.named_in(logged) for person in voters)


def test_an_open_resolution_keeps_the_member_on_its_ballots(voter, caplog):
    resolution = make_resolution(secret=False)
    voters = vote(resolution, [voter() for _ in range(3)], caplog)

    members = set(db.session.scalars(select(BallotChoice.member_id)))
    assert members == {person.member_id for person in voters}
