"""Who holds a domain name. Members may claim a name side by side, one claim each, and nobody's
unverified claim blocks anybody: the first to prove control (or to be exempt from proving it)
gets the name, and the other members' claims on it end `lost`, with the reason.

Each change that decides who holds a name takes the name's lock before it reads or locks any
claim on it (PostgreSQL; SQLite runs one writing transaction at a time, see
panel/core/sqlite.py), so that two of them never both find a name free. The database keeps one
live domain per name by itself too (the partial unique index of panel/webspaces/models.py)."""

import hashlib
import hmac

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, text

from panel.core.audit import record
from panel.core.errors import Conflict
from panel.core.secrets import derive_key
from panel.extensions import db
from panel.webspaces.models import Domain, State
from panel.webspaces.names import display_domain

LOCKS = 64
# The first key of the two-key advisory locks that stand for names ("dn").
LOCK_SPACE = 0x646E


def claim_token(member_id: int, name: str) -> str:
    """The member's TXT value for NAME: the same whenever they claim it again, and no other
    member's."""
    key = derive_key(current_app.config["SECRET_KEY"], "domain-verification")
    return hmac.new(key, f"{member_id}:{name}".encode(), hashlib.sha256).hexdigest()[:32]


def served_names(name: str, www_alias: bool) -> list[str]:
    return [name, f"www.{name}"] if www_alias else [name]


def lock_names(names: list[str]) -> None:
    """Wait until no other transaction decides about these names. A name and its www form
    share one lock, which is how a www alias and a domain of that name meet. There are
    LOCKS locks, chosen by hash: names that share one only wait for each other, and a
    transaction never holds more than LOCKS (PostgreSQL's lock table is small)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    stems = {name.removeprefix("www.") for name in names}
    locks = {int(hashlib.sha256(stem.encode()).hexdigest(), 16) % LOCKS for stem in stems}
    for lock in sorted(locks):
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :lock)"), {"space": LOCK_SPACE, "lock": lock}
        )


def _covering(names: list[str]) -> Select:
    """Domains and claims on any of NAMES, as their name or as their www alias."""
    bare = [name.removeprefix("www.") for name in names if name.startswith("www.")]
    return select(Domain).where(
        Domain.state != State.DELETED,
        Domain.name.in_(names) | (Domain.name.in_(bare) & Domain.www_alias),
    )


def held_elsewhere(names: list[str], member_id: int) -> bool:
    """Whether another member's live domain (proven or exempt) serves any of NAMES."""
    stmt = _covering(names).where(Domain.member_id != member_id, Domain.verified_at.is_not(None))
    return db.session.scalar(stmt.limit(1)) is not None


def ensure_free(names: list[str], member_id: int, field: str, exclude: int | None = None) -> None:
    """Refuse names the member holds or claims already, or another member's live domain
    serves; other members' unverified claims are no obstacle."""
    own = _covering(names).where(Domain.member_id == member_id)
    if any(domain.id != exclude for domain in db.session.scalars(own)):
        message = _l("You have added this domain already; remove it there first.")
        raise Conflict(message, {field: [message]})
    if held_elsewhere(names, member_id):
        raise Conflict(_l("This domain is in use already."), {field: [_l("Taken.")]})


def lose_claims(winner: Domain, names: list[str]) -> None:
    """The other members' unverified claims on NAMES lose to WINNER, which serves them now."""
    claims = db.session.scalars(
        select(Domain)
        .where(
            Domain.name.in_(names),
            Domain.state == State.UNVERIFIED,
            Domain.member_id != winner.member_id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for claim in claims:
        lose(claim)


def lose(claim: Domain) -> None:
    claim.state = State.LOST
    with force_locale("en"):
        claim.state_reason = str(_lost_reason(claim))
    entry = record(
        "domain.claim_lost",
        claim,
        before={"state": State.UNVERIFIED},
        after={"state": claim.state, "state_reason": claim.state_reason},
        member_id=claim.member_id,
    )
    # The loser reads this entry (its member), the acting winner would too (its actor): as
    # neither may learn of the other, it names no actor.
    entry.actor_id, entry.actor_label = None, ""


def _lost_reason(claim: Domain):
    return _l("Another member proved control of %(name)s first.", name=display_domain(claim.name))


def shown_reason(domain: Domain) -> str:
    """The reason for the domain's state, in the reader's language where the panel wrote it."""
    if domain.state == State.LOST:
        return str(_lost_reason(domain))
    return domain.state_reason
