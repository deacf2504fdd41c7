"""Every change to a resolution: drafting and announcing it, proxies, ballots, the close.

Secrecy: for a secret resolution a ballot's choices are stored under a random receipt with no
member; only the member's participation holds that receipt, sealed with the instance secret
(see panel.governance.models). Nothing here logs or audits a choice or a receipt."""

import secrets
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, delete, false, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from panel.coop.models import Member
from panel.core.audit import current_actor, record, snapshot
from panel.core.errors import Conflict, Forbidden, ValidationFailed
from panel.core.models import utcnow
from panel.core.roles import MEMBER_ROLES, Role
from panel.core.secrets import decrypt, encrypt
from panel.core.validators import clean_choice, clean_date, clean_text, reject_unknown
from panel.extensions import db
from panel.governance.models import (
    BallotChoice,
    Choice,
    ItemKind,
    ItemState,
    Majority,
    Participation,
    Phase,
    Proxy,
    Resolution,
    ResolutionItem,
)
from panel.governance.rules import Result, decide

RESOLUTION_FIELDS = (
    "title",
    "text",
    "majority",
    "quorum_percent",
    "secret",
    "cutoff",
    "discussion_from",
    "voting_from",
    "voting_until",
    "min_supporters",
)
REQUIRED_FIELDS = ("title", "text", "cutoff", "discussion_from", "voting_from", "voting_until")
MOMENTS = ("discussion_from", "voting_from", "voting_until")
CHOICES = tuple(choice.value for choice in Choice)
MAJORITIES = tuple(majority.value for majority in Majority)
MAX_TEXT = 50_000
MAX_SUPPORTERS = 100_000
# Crockford's base32: no I, L, O or U, so that a receipt read aloud or typed is unambiguous.
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_LENGTH = 16  # 80 bits
RECEIPT_GROUP = 4
RECEIPT_READINGS = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


# Drafting -----------------------------------------------------------------------------------


def _require_office() -> None:
    """The board's operations: an admin, or the command line (no signed-in actor)."""
    actor = current_actor()
    if actor is not None and getattr(actor, "role", None) != Role.ADMIN:
        raise Forbidden(_l("Only the board drafts and announces resolutions."))


def _clean_moment(field: str, value: object) -> datetime:
    """A date and time with its time zone (ISO 8601), as UTC."""
    message = _l("A date and time with time zone, as ISO 8601 (2026-05-01T18:00:00+02:00).")
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValidationFailed.field(field, message) from exc
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValidationFailed.field(field, message)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # the first or last day a datetime holds, moved past it
        raise ValidationFailed.field(field, message) from exc


def _clean_whole(field: str, value: object, *, maximum: int) -> int:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip()) if len(value.strip()) <= 9 else maximum + 1
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed.field(field, _l("Must be a whole number."))
    if not 0 <= value <= maximum:
        message = _l("Must be between %(low)s and %(high)s.", low=0, high=maximum)
        raise ValidationFailed.field(field, message)
    return value


def _clean_resolution(data: Any, *, partial: bool) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationFailed(_l("Expected an object with the resolution's fields."))
    reject_unknown(data, RESOLUTION_FIELDS)
    if not partial:
        missing = [field for field in REQUIRED_FIELDS if data.get(field) in (None, "")]
        if missing:
            message = _l("Required.")
            raise ValidationFailed(
                _l("Fields are missing."), {field: [message] for field in missing}
            )
    clean: dict[str, Any] = {}
    if "title" in data:
        clean["title"] = clean_text("title", data["title"], max_length=200)
    if "text" in data:
        clean["text"] = clean_text("text", data["text"], max_length=MAX_TEXT, multiline=True)
    if "majority" in data:
        clean["majority"] = clean_choice("majority", data["majority"], MAJORITIES)
    if "quorum_percent" in data:
        clean["quorum_percent"] = _clean_whole(
            "quorum_percent", data["quorum_percent"], maximum=100
        )
    if "secret" in data:
        if not isinstance(data["secret"], bool):
            raise ValidationFailed.field("secret", _l("Must be true or false."))
        clean["secret"] = data["secret"]
    if "cutoff" in data:
        clean["cutoff"] = clean_date("cutoff", data["cutoff"])
    for field in MOMENTS:
        if field in data:
            clean[field] = _clean_moment(field, data[field])
    if "min_supporters" in data:
        clean["min_supporters"] = _clean_whole(
            "min_supporters", data["min_supporters"], maximum=MAX_SUPPORTERS
        )
    return clean


def _check_order(discussion_from: datetime, voting_from: datetime, voting_until: datetime) -> None:
    if not discussion_from < voting_from:
        message = _l("The vote must open after the discussion opens.")
        raise ValidationFailed.field("voting_from", message)
    if not voting_from < voting_until:
        message = _l("The vote must end after it opens.")
        raise ValidationFailed.field("voting_until", message)


def _snapshot(resolution: Resolution) -> dict[str, Any]:
    return snapshot(resolution, (*RESOLUTION_FIELDS, "phase"))


def draft_resolution(data: dict) -> Resolution:
    """A new resolution in draft, with its motion (title and text as the resolution's)."""
    _require_office()
    clean = _clean_resolution(data, partial=False)
    _check_order(*(clean[field] for field in MOMENTS))
    clean.setdefault("majority", Majority.SIMPLE.value)
    clean.setdefault("quorum_percent", 0)
    clean.setdefault("secret", True)
    clean.setdefault("min_supporters", int(current_app.config["GOVERNANCE_MIN_SUPPORTERS"]))
    actor = current_actor()
    resolution = Resolution(
        **clean, phase=Phase.DRAFT, created_by_id=getattr(actor, "id", None) if actor else None
    )
    resolution.items.append(
        ResolutionItem(
            kind=ItemKind.MOTION,
            state=ItemState.ON_BALLOT,
            title=clean["title"],
            text=clean["text"],
        )
    )
    db.session.add(resolution)
    db.session.flush()
    record("resolution.draft", resolution, after=_snapshot(resolution))
    db.session.commit()
    return resolution


def _require_draft(resolution: Resolution) -> None:
    if resolution.phase != Phase.DRAFT:
        raise Conflict(_l("Only a draft can be changed; this resolution is announced."))


def update_resolution(resolution: Resolution, data: dict) -> Resolution:
    """Change a draft; its motion keeps the resolution's title and text."""
    _require_office()
    _require_draft(resolution)
    clean = _clean_resolution(data, partial=True)
    _check_order(*(clean.get(field, getattr(resolution, field)) for field in MOMENTS))
    before = _snapshot(resolution)
    for field, value in clean.items():
        setattr(resolution, field, value)
    item = motion(resolution)
    item.title, item.text = resolution.title, resolution.text
    record("resolution.update", resolution, before=before, after=_snapshot(resolution))
    db.session.commit()
    return resolution


def announce_resolution(resolution: Resolution) -> Resolution:
    """Show the draft to the members; the periodic task opens its phases on time."""
    _require_office()
    if resolution.phase != Phase.DRAFT:
        raise Conflict(_l("This resolution is already announced."))
    resolution.phase = Phase.ANNOUNCED
    resolution.announced_at = utcnow()
    record("resolution.announce", resolution, after=_snapshot(resolution))
    db.session.commit()
    return resolution


def delete_draft(resolution: Resolution) -> None:
    _require_office()
    if resolution.phase != Phase.DRAFT:
        raise Conflict(_l("Only a draft can be deleted; an announced resolution stays."))
    record("resolution.delete", resolution, before=_snapshot(resolution))
    db.session.delete(resolution)
    db.session.commit()


def visible_to_members(resolution: Resolution) -> bool:
    return resolution.phase != Phase.DRAFT


def visible_resolutions(user: Any) -> Select:
    """The resolutions the user sees, newest first: the board all, members the announced."""
    stmt = select(Resolution).order_by(Resolution.voting_from.desc(), Resolution.id.desc())
    if user.role == Role.ADMIN:
        return stmt
    if user.role in MEMBER_ROLES and user.member_id is not None:
        return stmt.where(Resolution.phase != Phase.DRAFT)
    return stmt.where(false())


def motion(resolution: Resolution) -> ResolutionItem:
    return next(item for item in resolution.items if item.kind == ItemKind.MOTION)


def ballot_items(resolution: Resolution) -> list[ResolutionItem]:
    """What is on the ballot, the motion first, then the admitted amendments in order."""
    items = [item for item in resolution.items if item.state == ItemState.ON_BALLOT]
    return sorted(items, key=lambda item: (item.kind != ItemKind.MOTION, item.id))


# Eligibility --------------------------------------------------------------------------------


def _eligible_condition(cutoff: date) -> ColumnElement[bool]:
    return and_(
        Member.admitted_on.is_not(None),
        Member.admitted_on <= cutoff,
        or_(Member.ended_on.is_(None), Member.ended_on > cutoff),
    )


def eligible_members(resolution: Resolution) -> Select:
    """The members on the register at the cutoff: admitted on or before it, not ended by it."""
    return select(Member).where(_eligible_condition(resolution.cutoff)).order_by(Member.number)


def count_eligible(resolution: Resolution) -> int:
    condition = _eligible_condition(resolution.cutoff)
    return db.session.scalar(select(func.count(Member.id)).where(condition)) or 0


def is_eligible(resolution: Resolution, member: Member) -> bool:
    return (
        member.admitted_on is not None
        and member.admitted_on <= resolution.cutoff
        and (member.ended_on is None or member.ended_on > resolution.cutoff)
    )


def _not_eligible(resolution: Resolution) -> Forbidden:
    return Forbidden(
        _l("Only members on the register on %(cutoff)s vote.", cutoff=resolution.cutoff.isoformat())
    )


# Proxies ------------------------------------------------------------------------------------


def proxies_allowed() -> int:
    """How many principals one member may represent (0: no proxies)."""
    return int(current_app.config["GOVERNANCE_PROXIES_PER_MEMBER"])


def proxy_of(resolution: Resolution, principal: Member) -> Proxy | None:
    """The proxy the principal authorised for this resolution, if any."""
    return db.session.scalar(
        select(Proxy).where(
            Proxy.resolution_id == resolution.id, Proxy.principal_id == principal.id
        )
    )


def principals_of(resolution: Resolution, member: Member) -> list[Member]:
    """The members this member votes for as proxy."""
    return list(
        db.session.scalars(
            select(Member)
            .join(Proxy, Proxy.principal_id == Member.id)
            .where(Proxy.resolution_id == resolution.id, Proxy.proxy_id == member.id)
            .order_by(Member.number)
        )
    )


def _require_before_vote_end(resolution: Resolution) -> None:
    if resolution.phase in (Phase.DRAFT, Phase.CLOSED) or utcnow() >= resolution.voting_until:
        raise Conflict(
            _l("Proxies are given and revoked between the announcement and the end of the vote.")
        )


def authorise_proxy(resolution: Resolution, principal: Member, proxy: Member) -> Proxy:
    """PROXY may vote for PRINCIPAL on this resolution. No chains: a member who gave a proxy
    receives none, and a proxy gives none."""
    limit = proxies_allowed()
    if limit <= 0:
        raise Forbidden(_l("The statute allows no proxies."))
    _require_before_vote_end(resolution)
    field = "proxy_member"
    if proxy.id == principal.id:
        raise ValidationFailed.field(field, _l("You cannot be your own proxy."))
    if not is_eligible(resolution, principal):
        raise _not_eligible(resolution)
    if not is_eligible(resolution, proxy):
        message = _l(
            "%(member)s was not on the register on %(cutoff)s and cannot vote.",
            member=proxy.number,
            cutoff=resolution.cutoff.isoformat(),
        )
        raise ValidationFailed.field(field, message)
    if proxy_of(resolution, principal) is not None:
        raise Conflict(_l("You have already authorised a proxy; revoke it first."))
    if proxy_of(resolution, proxy) is not None:
        message = _l(
            "%(member)s has given a proxy themselves and cannot act as one.", member=proxy.number
        )
        raise ValidationFailed.field(field, message)
    if principals_of(resolution, principal):
        message = _l("You act as proxy for others and cannot give a proxy yourself.")
        raise Conflict(message, {field: [message]})
    if len(principals_of(resolution, proxy)) >= limit:
        message = _l(
            "%(member)s already represents as many members as the statute allows (%(limit)s).",
            member=proxy.number,
            limit=limit,
        )
        raise Conflict(message, {field: [message]})
    given = Proxy(resolution_id=resolution.id, principal_id=principal.id, proxy_id=proxy.id)
    db.session.add(given)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(_l("You have already authorised a proxy; revoke it first.")) from exc
    after = {"principal": principal.number, "proxy": proxy.number}
    record("resolution.proxy", resolution, after=after, member_id=principal.id)
    db.session.commit()
    return given


def revoke_proxy(proxy: Proxy) -> None:
    resolution = db.session.get(Resolution, proxy.resolution_id)
    _require_before_vote_end(resolution)
    before = {"principal": proxy.principal.number, "proxy": proxy.proxy.number}
    record("resolution.proxy_revoke", resolution, before=before, member_id=proxy.principal_id)
    db.session.delete(proxy)
    db.session.commit()


# Ballots ------------------------------------------------------------------------------------


def new_receipt() -> str:
    """A random receipt of 80 bits, grouped for people: 7F3K-9QX2-M4TB-8WRE."""
    code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return _grouped(code)


def _grouped(code: str) -> str:
    return "-".join(
        code[start : start + RECEIPT_GROUP] for start in range(0, len(code), RECEIPT_GROUP)
    )


def normalise_receipt(text: object) -> str | None:
    """A receipt as people type it (any case, with or without dashes, O for 0) in its stored
    spelling, or None if it cannot be one."""
    if not isinstance(text, str):
        return None
    code = text.strip().upper().translate(RECEIPT_READINGS)
    if len(code) != RECEIPT_LENGTH or any(char not in RECEIPT_ALPHABET for char in code):
        return None
    return _grouped(code)


def vote_open(resolution: Resolution) -> bool:
    """Whether ballots are taken now."""
    return resolution.phase == Phase.VOTING and utcnow() < resolution.voting_until


def _require_vote_open(resolution: Resolution) -> None:
    if not vote_open(resolution):
        raise Conflict(_l("The vote is not open."))


def _voter(resolution: Resolution, member: Member, on_behalf_of: Member | None) -> Member:
    """Whose vote this is: the member's own, or its principal's when it votes as proxy."""
    if on_behalf_of is None or on_behalf_of.id == member.id:
        if not is_eligible(resolution, member):
            raise _not_eligible(resolution)
        return member
    given = proxy_of(resolution, on_behalf_of)
    if given is None or given.proxy_id != member.id:
        message = _l(
            "%(member)s has not authorised you as proxy for this resolution.",
            member=on_behalf_of.number,
        )
        raise Forbidden(message, {"on_behalf_of": [message]})
    if not is_eligible(resolution, on_behalf_of):
        raise _not_eligible(resolution)
    return on_behalf_of


def _item_id(key: object) -> int | None:
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 10:
        return int(key)
    return None


def _clean_choices(resolution: Resolution, choices: Any) -> dict[int, str]:
    """Item id -> yes|no|abstain for items on the ballot; the motion is required, the
    amendments are optional."""
    if not isinstance(choices, dict):
        raise ValidationFailed.field("choice", _l("Choose yes, no or abstain on the motion."))
    on_ballot = {item.id for item in ballot_items(resolution)}
    motion_id = motion(resolution).id
    clean: dict[int, str] = {}
    for key, choice in choices.items():
        item_id = _item_id(key)
        field = "choice" if item_id == motion_id else "amendments"
        if item_id not in on_ballot:
            message = _l("%(item)s is not an amendment on this ballot.", item=str(key)[:20])
            raise ValidationFailed.field(field, message)
        if not isinstance(choice, str) or choice not in CHOICES:
            message = _l("Choose yes, no or abstain (item %(item)s).", item=item_id)
            raise ValidationFailed.field(field, message)
        clean[item_id] = choice
    if motion_id not in clean:
        raise ValidationFailed.field("choice", _l("Choose yes, no or abstain on the motion."))
    return clean


def cast_ballot(
    resolution: Resolution,
    member: Member,
    choices: dict[int, str],
    *,
    on_behalf_of: Member | None = None,
) -> str:
    """Vote (or change the vote) and return the new receipt. One participation per member:
    a second ballot replaces the first under a new receipt."""
    _require_vote_open(resolution)
    voter = _voter(resolution, member, on_behalf_of)
    clean = _clean_choices(resolution, choices)
    cast_by = member if voter.id != member.id else None
    try:
        return _record_ballot(resolution, voter, clean, cast_by)
    except IntegrityError:
        # A concurrent first ballot of the same member won: this one becomes a change of vote.
        db.session.rollback()
    try:
        return _record_ballot(resolution, voter, clean, cast_by)
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(
            _l("Another ballot of yours was cast at the same moment; try again.")
        ) from exc


def _record_ballot(
    resolution: Resolution, voter: Member, choices: dict[int, str], cast_by: Member | None
) -> str:
    # A shared lock on the resolution: the close waits for ballots under way, and a ballot
    # after the close sees it closed.
    phase, until = db.session.execute(
        select(Resolution.phase, Resolution.voting_until)
        .where(Resolution.id == resolution.id)
        .with_for_update(read=True)
    ).one()
    if phase != Phase.VOTING or utcnow() >= until:
        db.session.rollback()
        raise Conflict(_l("The vote is not open."))
    participation = db.session.scalar(
        select(Participation)
        .where(Participation.resolution_id == resolution.id, Participation.member_id == voter.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    receipt = new_receipt()
    sealed = encrypt(receipt)
    cast_by_id = cast_by.id if cast_by is not None else None
    if participation is None:
        participation = Participation(
            resolution_id=resolution.id,
            member_id=voter.id,
            cast_by_id=cast_by_id,
            sealed_receipt=sealed,
        )
        db.session.add(participation)
    else:
        old = decrypt(participation.sealed_receipt)
        db.session.execute(delete(BallotChoice).where(BallotChoice.receipt == old))
        participation.sealed_receipt = sealed
        participation.cast_by_id = cast_by_id
    open_member = None if resolution.secret else voter.id
    for item_id, choice in choices.items():
        db.session.add(
            BallotChoice(
                receipt=receipt,
                item_id=item_id,
                resolution_id=resolution.id,
                choice=choice,
                member_id=open_member,
            )
        )
    after = {"member": voter.number, "cast_by": cast_by.number if cast_by else None}
    record("resolution.vote", resolution, after=after, member_id=voter.id)
    db.session.commit()
    return receipt


def my_participation(resolution: Resolution, member: Member) -> Participation | None:
    return db.session.scalar(
        select(Participation).where(
            Participation.resolution_id == resolution.id, Participation.member_id == member.id
        )
    )


def my_receipt(resolution: Resolution, member: Member) -> str | None:
    """The member's current receipt, unsealed for the member alone."""
    participation = my_participation(resolution, member)
    return decrypt(participation.sealed_receipt) if participation else None


def my_open_choices(resolution: Resolution, member: Member) -> dict[int, str]:
    """The member's choices on an open resolution; nothing for a secret one."""
    if resolution.secret:
        return {}
    rows = db.session.execute(
        select(BallotChoice.item_id, BallotChoice.choice).where(
            BallotChoice.resolution_id == resolution.id, BallotChoice.member_id == member.id
        )
    )
    return {item_id: choice for item_id, choice in rows}


# Count and close ----------------------------------------------------------------------------


def tally(resolution: Resolution) -> Result:
    """Count the ballots: per item on the ballot, and turnout and quorum against the members
    eligible (fixed when the vote opened; counted now if it was not)."""
    rows = db.session.execute(
        select(BallotChoice.item_id, BallotChoice.choice, func.count())
        .where(BallotChoice.resolution_id == resolution.id)
        .group_by(BallotChoice.item_id, BallotChoice.choice)
    )
    counted = {(item_id, choice): number for item_id, choice, number in rows}
    counts = [
        (item.id, *(counted.get((item.id, choice), 0) for choice in CHOICES))
        for item in ballot_items(resolution)
    ]
    voters = db.session.scalar(
        select(func.count(Participation.id)).where(Participation.resolution_id == resolution.id)
    )
    eligible = resolution.eligible_count
    if eligible is None:
        eligible = count_eligible(resolution)
    return decide(
        resolution.majority,
        resolution.quorum_percent,
        voters=voters or 0,
        eligible=eligible,
        counts=counts,
    )


def close_resolution(resolution: Resolution, now: datetime) -> Resolution:
    """End the vote at its time: write the counts on the items and close."""
    db.session.execute(
        select(Resolution.id).where(Resolution.id == resolution.id).with_for_update()
    )
    db.session.refresh(resolution)
    if resolution.phase != Phase.VOTING:
        db.session.rollback()
        raise Conflict(_l("Only a resolution in its vote can be closed."))
    if now < resolution.voting_until:
        db.session.rollback()
        raise Conflict(_l("The vote has not ended yet."))
    if resolution.eligible_count is None:
        resolution.eligible_count = count_eligible(resolution)
    result = tally(resolution)
    items = {item.id: item for item in resolution.items}
    for counted in result.items:
        item = items[counted.item_id]
        item.yes, item.no, item.abstain = counted.yes, counted.no, counted.abstain
        item.passed = counted.passed
    _rewrite_in_receipt_order(resolution)
    resolution.phase = Phase.CLOSED
    resolution.closed_at = now
    after = {
        "yes": result.motion.yes,
        "no": result.motion.no,
        "abstain": result.motion.abstain,
        "voters": result.voters,
        "eligible": result.eligible,
        "quorum_met": result.quorum_met,
        "passed": result.passed,
    }
    record("resolution.close", resolution, after=after)
    db.session.commit()
    return resolution


def _rewrite_in_receipt_order(resolution: Resolution) -> None:
    """Write the resolution's ballots anew, sorted by their random receipts: PostgreSQL keeps
    rows where they were inserted, and a dump lists them so, which would pair the n-th
    ballot with the n-th participation."""
    columns = (
        BallotChoice.receipt,
        BallotChoice.item_id,
        BallotChoice.resolution_id,
        BallotChoice.choice,
        BallotChoice.member_id,
    )
    where = BallotChoice.resolution_id == resolution.id
    rows = [
        dict(row._mapping)
        for row in db.session.execute(
            select(*columns).where(where).order_by(BallotChoice.receipt, BallotChoice.item_id)
        )
    ]
    db.session.execute(delete(BallotChoice).where(where))
    if rows:
        db.session.execute(insert(BallotChoice), rows)


def _require_closed(resolution: Resolution) -> None:
    if resolution.phase != Phase.CLOSED:
        raise Conflict(_l("The result is published when the vote has closed."))


def result_of(resolution: Resolution) -> Result:
    """The published result; only after the close."""
    _require_closed(resolution)
    return tally(resolution)


def published_receipts(resolution: Resolution) -> list[dict]:
    """Every ballot's receipt with its choices, sorted by receipt; only after the close."""
    _require_closed(resolution)
    rows = db.session.execute(
        select(BallotChoice.receipt, BallotChoice.item_id, BallotChoice.choice)
        .where(BallotChoice.resolution_id == resolution.id)
        .order_by(BallotChoice.receipt, BallotChoice.item_id)
    )
    ballots: dict[str, dict[int, str]] = {}
    for receipt, item_id, choice in rows:
        ballots.setdefault(receipt, {})[item_id] = choice
    return [{"receipt": receipt, "choices": choices} for receipt, choices in ballots.items()]


def find_receipt(resolution: Resolution, text: object) -> dict[int, str] | None:
    """The choices counted under a receipt (as a member types it), or None; after the close."""
    _require_closed(resolution)
    receipt = normalise_receipt(text)
    if receipt is None:
        return None
    rows = db.session.execute(
        select(BallotChoice.item_id, BallotChoice.choice).where(
            BallotChoice.resolution_id == resolution.id, BallotChoice.receipt == receipt
        )
    )
    return {item_id: choice for item_id, choice in rows} or None


def open_votes(resolution: Resolution) -> list[dict]:
    """Who chose what on an open resolution, by member number; only after the close."""
    _require_closed(resolution)
    if resolution.secret:
        return []
    rows = db.session.execute(
        select(Member.number, Member.name, BallotChoice.item_id, BallotChoice.choice)
        .join(Member, Member.id == BallotChoice.member_id)
        .where(BallotChoice.resolution_id == resolution.id)
        .order_by(Member.number, BallotChoice.item_id)
    )
    votes: dict[str, dict] = {}
    for number, name, item_id, choice in rows:
        votes.setdefault(number, {"member": number, "name": name, "choices": {}})
        votes[number]["choices"][item_id] = choice
    return list(votes.values())
