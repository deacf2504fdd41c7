"""The member record, its share ledger, its notices and payouts in the member's data export."""

from panel.coop.models import ShareNotice, SharePayout
from panel.coop.operations import MEMBER_FIELDS
from panel.core.export import fields_of, member_rows

EXPORTED_FIELDS = ("id", *MEMBER_FIELDS, "created_at")
SHARE_FIELDS = ("id", "kind", "count", "value_date", "reverses_id", "note", "created_at")
NOTICE_FIELDS = ("id", "count", "given_on", "effective_on", "leaving", "state", "created_at")
PAYOUT_FIELDS = ("id", "notice_id", "count", "amount", "due_on", "state", "paid_on")


def membership_part(member) -> dict:
    return {
        "member.json": fields_of(member, EXPORTED_FIELDS),
        "shares.json": [fields_of(booking, SHARE_FIELDS) for booking in member.share_transactions],
        "notices.json": member_rows(ShareNotice, member, NOTICE_FIELDS),
        "payouts.json": member_rows(SharePayout, member, PAYOUT_FIELDS),
    }
