"""The discussion phase of a resolution: members' comments and their amendments, which go to the
vote alongside the motion once enough members support them (panel.governance.phases decides
when the voting opens).

Every operation acts for the member it is given (the pages pass the signed-in person's own), only
while the discussion is open and only for members entitled to vote on the resolution.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from panel.accounts.models import User
from panel.coop.models import Member
from panel.core.audit import record
from panel.core.errors import Conflict, Forbidden
from panel.core.models import utcnow
from panel.core.validators import clean_text
from panel.extensions import db
from panel.governance.models import (
    AmendmentSupport,
    Comment,
    ItemKind,
    ItemState,
    Phase,
    Resolution,
    ResolutionItem,
)
from panel.governance.operations import is_eligible

MAX_COMMENT = 5000
MAX_TITLE = 200
MAX_TEXT = 50_000


def _ensure_discussion(resolution: Resolution, member: Member | None) -> Member:
    """The member, if it may take part in the resolution's discussion now."""
    if resolution.phase != Phase.DISCUSSION or utcnow() >= resolution.voting_from:
        raise Conflict(_l("The discussion of this resolution is not open."))
    if member is None:
        raise Forbidden(_l("Your account belongs to no member of the cooperative."))
    if not is_eligible(resolution, member):
        message = _l("Only members entitled to vote on this resolution take part in it.")
        raise Forbidden(message)
    return member


def _open_amendment(item: ResolutionItem, member: Member | None) -> Member:
    member = _ensure_discussion(item.resolution, member)
    if item.kind != ItemKind.AMENDMENT or item.state != ItemState.PROPOSED:
        raise Conflict(_l("This amendment is no longer open for support."))
    return member


def add_comment(resolution: Resolution, user: User, text: object) -> Comment:
    """A contribution of USER, for its member, to the discussion."""
    member = _ensure_discussion(resolution, user.member)
    text = clean_text("text", text, max_length=MAX_COMMENT, multiline=True)
    comment = Comment(resolution_id=resolution.id, member_id=member.id, user_id=user.id, text=text)
    db.session.add(comment)
    db.session.flush()
    record(
        "resolution.comment",
        comment,
        after={"resolution_id": resolution.id, "text": text},
        member_id=member.id,
    )
    db.session.commit()
    return comment


def propose_amendment(
    resolution: Resolution, member: Member, title: object, text: object
) -> ResolutionItem:
    """An amendment of MEMBER; its proposer is its first supporter."""
    member = _ensure_discussion(resolution, member)
    title = clean_text("title", title, max_length=MAX_TITLE)
    text = clean_text("text", text, max_length=MAX_TEXT, multiline=True)
    item = ResolutionItem(
        resolution_id=resolution.id,
        kind=ItemKind.AMENDMENT,
        state=ItemState.PROPOSED,
        title=title,
        text=text,
        member_id=member.id,
    )
    db.session.add(item)
    db.session.flush()
    db.session.add(AmendmentSupport(item_id=item.id, member_id=member.id))
    record(
        "resolution.amendment_propose",
        item,
        after={"resolution_id": resolution.id, "title": title, "text": text},
        member_id=member.id,
    )
    db.session.commit()
    return item


def _support_of(item: ResolutionItem, member: Member) -> AmendmentSupport | None:
    return db.session.scalar(
        select(AmendmentSupport).where(
            AmendmentSupport.item_id == item.id, AmendmentSupport.member_id == member.id
        )
    )


def support_amendment(item: ResolutionItem, member: Member) -> AmendmentSupport:
    """MEMBER supports the amendment; supporting it again changes nothing."""
    member = _open_amendment(item, member)
    existing = _support_of(item, member)
    if existing is not None:
        return existing
    support = AmendmentSupport(item_id=item.id, member_id=member.id)
    try:
        # A savepoint: a second request of the same member may have added its support meanwhile.
        with db.session.begin_nested():
            db.session.add(support)
    except IntegrityError:
        return _support_of(item, member)
    record(
        "resolution.amendment_support",
        item,
        after={"resolution_id": item.resolution_id, "supporter": member.number},
        member_id=member.id,
    )
    db.session.commit()
    return support


def withdraw_support(item: ResolutionItem, member: Member) -> None:
    member = _open_amendment(item, member)
    if item.member_id == member.id:
        raise Conflict(_l("You proposed this amendment: withdraw the amendment instead."))
    support = _support_of(item, member)
    if support is None:
        raise Conflict(_l("You do not support this amendment."))
    db.session.delete(support)
    record(
        "resolution.amendment_unsupport",
        item,
        before={"resolution_id": item.resolution_id, "supporter": member.number},
        member_id=member.id,
    )
    db.session.commit()


def withdraw_amendment(item: ResolutionItem, member: Member) -> None:
    """The proposer takes its amendment back; it will not be voted on."""
    member = _open_amendment(item, member)
    if item.member_id != member.id:
        raise Forbidden(_l("Only its proposer may withdraw an amendment."))
    item.state = ItemState.WITHDRAWN
    record(
        "resolution.amendment_withdraw",
        item,
        before={"state": ItemState.PROPOSED},
        after={"state": ItemState.WITHDRAWN},
        member_id=member.id,
    )
    db.session.commit()


def supporter_counts(resolution: Resolution) -> dict[int, int]:
    """How many members support each of the resolution's amendments."""
    rows = db.session.execute(
        select(AmendmentSupport.item_id, func.count())
        .join(ResolutionItem, ResolutionItem.id == AmendmentSupport.item_id)
        .where(ResolutionItem.resolution_id == resolution.id)
        .group_by(AmendmentSupport.item_id)
    )
    return dict(rows.all())


def supported_by(resolution: Resolution, member: Member) -> set[int]:
    """The ids of the resolution's amendments MEMBER supports."""
    return set(
        db.session.scalars(
            select(AmendmentSupport.item_id)
            .join(ResolutionItem, ResolutionItem.id == AmendmentSupport.item_id)
            .where(
                ResolutionItem.resolution_id == resolution.id,
                AmendmentSupport.member_id == member.id,
            )
        )
    )
