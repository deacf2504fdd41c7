"""The one way the pages and the API load a member or a share transaction by id, with the
access check and one 404 in the request's language."""

from flask_babel import lazy_gettext as _l

from panel.coop.models import Member, ShareTransaction
from panel.core.access import load


def load_member(member_id: int, *, change: bool = False) -> Member:
    return load(Member, member_id, _l("No such member."), change=change)


def load_share_transaction(transaction_id: int, *, change: bool = False) -> ShareTransaction:
    return load(ShareTransaction, transaction_id, _l("No such share transaction."), change=change)
