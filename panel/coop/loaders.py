"""The one way the pages and the API load a member or a share transaction by id, with the
access check and one 404 in the request's language."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.coop.models import Member, ShareNotice, SharePayout, ShareTransaction
from panel.core.access import load
from panel.extensions import db


def load_member(member_id: int, *, change: bool = False) -> Member:
    return load(Member, member_id, _l("No such member."), change=change)


def member_by_number(text: str) -> Member | None:
    """The member with the number as people write it: "M-00042", "m-00042" or just "42"."""
    number = text.strip().upper()
    if number.isascii() and number.isdigit() and len(number) <= 12:
        number = f"M-{int(number):05d}"
    return db.session.scalar(select(Member).where(Member.number == number))


def load_share_transaction(transaction_id: int, *, change: bool = False) -> ShareTransaction:
    return load(ShareTransaction, transaction_id, _l("No such share transaction."), change=change)


def load_share_notice(notice_id: int, *, change: bool = False) -> ShareNotice:
    return load(ShareNotice, notice_id, _l("No such notice."), change=change)


def load_payout(payout_id: int, *, change: bool = False) -> SharePayout:
    return load(SharePayout, payout_id, _l("No such payout."), change=change)
