"""Notices that take effect: their shares booked out, a payout for the office, and for a notice
of membership the membership's end; then the office pays and marks the payout paid."""

import logging
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.coop.models import NoticeState, PayoutState, ShareNotice, SharePayout
from panel.coop.notices import NOTICE_FIELDS
from panel.coop.operations import book_cancellation, end_membership, lock_member, share_value
from panel.core.audit import record, snapshot
from panel.core.errors import Conflict, PanelError
from panel.core.validators import clean_date
from panel.extensions import db

log = logging.getLogger(__name__)
PAYOUT_FIELDS = ("member_id", "notice_id", "count", "amount", "due_on", "state", "paid_on")


def settle_due_notices(today: date | None = None) -> list[ShareNotice]:
    """Settle every pending notice whose effective date has come (a missed day is caught up);
    the notices settled. One that cannot be settled is logged and stays pending."""
    today = today or date.today()
    due = db.session.scalars(
        select(ShareNotice.id)
        .where(ShareNotice.state == NoticeState.PENDING, ShareNotice.effective_on <= today)
        # A member's notices on shares before its notice of membership, which ends it.
        .order_by(ShareNotice.effective_on, ShareNotice.leaving, ShareNotice.id)
    ).all()
    settled = []
    for notice_id in due:
        notice = db.session.get(ShareNotice, notice_id)
        try:
            if settle_notice(notice):
                settled.append(notice)
        except PanelError as exc:
            db.session.rollback()
            log.warning("share notice %s not settled: %s", notice_id, exc.message)
    return settled


def settle_notice(notice: ShareNotice) -> bool:
    """Book the notice's shares out on its effective date with a payout of their value; a
    notice of membership books out every share left and ends the membership. False if another
    worker settled it first."""
    member = notice.member
    lock_member(member)
    db.session.refresh(notice)
    if notice.state != NoticeState.PENDING:
        return False
    before = snapshot(notice, NOTICE_FIELDS)
    # The office may have booked shares out by hand meanwhile: never more than are held.
    count = min(member.share_count if notice.leaving else notice.count, member.share_count)
    if count:
        cancellation = book_cancellation(
            member, count, notice.effective_on, f"notice #{notice.id} of {notice.given_on}"
        )
        notice.settled_transaction_id = cancellation.id
        payout = SharePayout(
            member_id=member.id,
            notice_id=notice.id,
            count=count,
            amount=count * share_value(),
            due_on=notice.effective_on,
            state=PayoutState.OPEN,
        )
        db.session.add(payout)
        db.session.flush()
        record("share.payout", payout, after=snapshot(payout, PAYOUT_FIELDS), member_id=member.id)
    notice.state = NoticeState.SETTLED
    record(
        "share.notice_settle",
        notice,
        before=before,
        after={**snapshot(notice, NOTICE_FIELDS), "booked_out": count},
        member_id=member.id,
    )
    if notice.leaving:
        # Commits the settlement with the end: all of it happens, or none.
        end_membership(member, notice.effective_on)
    else:
        db.session.commit()
    return True


def mark_payout_paid(payout: SharePayout, paid_on: Any = None) -> SharePayout:
    """The office has paid the payout out."""
    today = date.today()
    paid_on = clean_date("paid_on", paid_on if paid_on is not None else today, not_after=today)
    if payout.state != PayoutState.OPEN:
        raise Conflict(_l("This payout is marked paid already."))
    before = snapshot(payout, PAYOUT_FIELDS)
    payout.state = PayoutState.PAID
    payout.paid_on = paid_on
    record(
        "share.payout_paid",
        payout,
        before=before,
        after=snapshot(payout, PAYOUT_FIELDS),
        member_id=payout.member_id,
    )
    db.session.commit()
    return payout


def open_payouts() -> list[SharePayout]:
    return list(
        db.session.scalars(
            select(SharePayout)
            .where(SharePayout.state == PayoutState.OPEN)
            .order_by(SharePayout.due_on, SharePayout.id)
        )
    )


def pending_notices_of_all() -> list[ShareNotice]:
    return list(
        db.session.scalars(
            select(ShareNotice)
            .where(ShareNotice.state == NoticeState.PENDING)
            .order_by(ShareNotice.effective_on, ShareNotice.id)
        )
    )


def payout_id_of(notice: ShareNotice) -> int | None:
    return db.session.scalar(select(SharePayout.id).where(SharePayout.notice_id == notice.id))
