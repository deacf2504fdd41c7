"""Notice on shares and notice of membership: both take effect at the end of a fiscal year,
when panel.coop.settlement books the shares out."""

from datetime import date
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from panel.coop.models import Member, MemberStatus, NoticeState, ShareNotice, ShareTransaction
from panel.coop.operations import (
    MAX_SHARES_PER_TRANSACTION,
    MEMBER_FIELDS,
    lock_member,
    record_share_transaction,
)
from panel.coop.services import running_services, shares_needed, shares_needed_by_kind
from panel.core.audit import current_actor, record, snapshot
from panel.core.errors import Conflict, ValidationFailed
from panel.core.validators import clean_date, clean_positive_int
from panel.extensions import db

NOTICE_FIELDS = ("member_id", "count", "given_on", "effective_on", "leaving", "state")
# Names of running services a refusal lists per kind; more are summed up.
NAMES_SHOWN = 5


def effective_on(given_on: date) -> date:
    """The end of the first fiscal year that ends at least PANEL_SHARE_NOTICE_YEARS after the
    notice. With two years and calendar fiscal years, a notice given on 2026-12-06 and one on
    2026-12-31 both take effect on 2028-12-31; with none, at the end of the current year."""
    earliest = _years_after(given_on, current_app.config["SHARE_NOTICE_YEARS"])
    month, day = (int(part) for part in current_app.config["FISCAL_YEAR_END"].split("-"))
    year_end = date(earliest.year, month, day)
    return year_end if year_end >= earliest else date(earliest.year + 1, month, day)


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        # 29 February in a common year: "at least" that many years is 1 March.
        return date(day.year + years, 3, 1)


def pending_notices(member: Member) -> list[ShareNotice]:
    return list(
        db.session.scalars(
            select(ShareNotice)
            .where(ShareNotice.member_id == member.id, ShareNotice.state == NoticeState.PENDING)
            .order_by(ShareNotice.effective_on, ShareNotice.id)
        )
    )


def shares_under_notice(member: Member) -> int:
    """Shares of pending notices: held until the notice takes effect, but no longer available."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(ShareNotice.count), 0)).where(
            ShareNotice.member_id == member.id, ShareNotice.state == NoticeState.PENDING
        )
    )
    return int(total)


def _given_on(on: Any) -> date:
    return clean_date("given_on", on if on is not None else date.today())


def subscribe_shares(member: Member, count: Any, on: Any = None) -> ShareTransaction:
    """The member subscribes more shares, booked as a subscription on the day."""
    count = clean_positive_int("count", count, maximum=MAX_SHARES_PER_TRANSACTION)
    day = _given_on(on)
    if member.status in (MemberStatus.CANCELLED, MemberStatus.ENDED):
        raise Conflict(_l("A membership under notice or ended takes no new shares."))
    return record_share_transaction(member, "subscription", count, day)


def give_share_notice(member: Member, count: Any, on: Any = None) -> ShareNotice:
    """Notice on COUNT shares. What stays after every pending notice must cover the minimum
    holding and the shares the member's services need. The member's row is held until the
    commit, so that two notices cannot both count the same shares."""
    count = clean_positive_int("count", count, maximum=MAX_SHARES_PER_TRANSACTION)
    given_on = _given_on(on)
    lock_member(member)
    if member.status != MemberStatus.ACTIVE:
        raise Conflict(_l("Only an active member can give notice on shares."))
    under_notice = shares_under_notice(member)
    for_services = shares_needed(member)
    minimum = current_app.config["SHARE_MINIMUM"]
    keep = max(minimum, for_services)
    if member.share_count - under_notice - count < keep:
        numbers = {
            "most": max(0, member.share_count - under_notice - keep),
            "held": member.share_count,
            "pending": under_notice,
            "keep": keep,
        }
        if for_services > minimum:
            message = _l(
                "Notice is possible on at most %(most)s of the %(held)s shares held: "
                "%(pending)s are under notice already and %(keep)s must stay for the services "
                "the member runs (%(services)s).",
                services=_services_needing_shares(member),
                **numbers,
            )
        else:
            message = _l(
                "Notice is possible on at most %(most)s of the %(held)s shares held: "
                "%(pending)s are under notice already and %(keep)s must stay as the minimum "
                "holding.",
                **numbers,
            )
        raise Conflict(message, {"count": [message]})
    return _record_notice(member, count, given_on, leaving=False)


def _services_needing_shares(member: Member) -> str:
    return ", ".join(f"{kind}: {needed}" for kind, needed in shares_needed_by_kind(member))


def _record_notice(member: Member, count: int, given_on: date, *, leaving: bool) -> ShareNotice:
    notice = ShareNotice(
        member_id=member.id,
        count=count,
        given_on=given_on,
        effective_on=effective_on(given_on),
        leaving=leaving,
        state=NoticeState.PENDING,
        created_by_id=getattr(current_actor(), "id", None),
    )
    db.session.add(notice)
    db.session.flush()
    record("share.notice", notice, after=snapshot(notice, NOTICE_FIELDS), member_id=member.id)
    db.session.commit()
    return notice


def withdraw_share_notice(notice: ShareNotice, on: Any = None) -> ShareNotice:
    """Take back a pending notice on shares before the day it takes effect."""
    today = clean_date("on", on if on is not None else date.today())
    lock_member(notice.member)
    db.session.refresh(notice)
    if notice.state != NoticeState.PENDING:
        raise Conflict(_l("Only a pending notice can be withdrawn."))
    if notice.leaving:
        raise Conflict(
            _l(
                "A notice of membership cannot be withdrawn in the panel; please contact the "
                "office."
            )
        )
    if today >= notice.effective_on:
        raise Conflict(
            _l(
                "The notice takes effect on %(date)s; it can no longer be withdrawn.",
                date=notice.effective_on.isoformat(),
            )
        )
    before = snapshot(notice, NOTICE_FIELDS)
    notice.state = NoticeState.WITHDRAWN
    record(
        "share.notice_withdraw",
        notice,
        before=before,
        after=snapshot(notice, NOTICE_FIELDS),
        member_id=notice.member_id,
    )
    db.session.commit()
    return notice


def give_membership_notice(member: Member, on: Any = None) -> ShareNotice:
    """The member leaves: its membership is `cancelled` from the day of the notice, and every
    share not yet under notice goes under notice of membership. At the notice's effective date
    the settlement books the shares out, records the payout and ends the membership. Services
    must end first."""
    given_on = _given_on(on)
    lock_member(member)
    if member.status != MemberStatus.ACTIVE:
        raise Conflict(_l("Only an active member can give notice of membership."))
    running = running_services(member)
    if running:
        services = "; ".join(f"{kind}: {_names(names)}" for kind, names in running)
        raise Conflict(
            _l(
                "End these services before giving notice of membership: %(services)s.",
                services=services,
            )
        )
    if member.admitted_on and given_on < member.admitted_on:
        message = _l("Must not be before %(date)s.", date=member.admitted_on.isoformat())
        raise ValidationFailed.field("given_on", message)
    before = snapshot(member, MEMBER_FIELDS)
    member.status = MemberStatus.CANCELLED
    member.cancelled_on = given_on
    record(
        "member.notice",
        member,
        before=before,
        after=snapshot(member, MEMBER_FIELDS),
        member_id=member.id,
    )
    remaining = member.share_count - shares_under_notice(member)
    return _record_notice(member, remaining, given_on, leaving=True)


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    hidden = len(names) - NAMES_SHOWN
    return shown if hidden <= 0 else f"{shown} (+{hidden})"
