"""Which of a reseller's customers a webspace serves."""

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.accounts.models import User
from panel.core.audit import record
from panel.core.errors import ValidationFailed
from panel.core.roles import Role
from panel.extensions import db
from panel.webspaces.models import Webspace

MAX_ID = 2**31 - 1


def customers_of(member_id: int) -> list[User]:
    """The customer accounts under the member's reseller accounts."""
    reseller = User.__table__.alias("reseller")
    return list(
        db.session.scalars(
            select(User)
            .join(reseller, User.reseller_id == reseller.c.id)
            .where(User.role == Role.CUSTOMER, reseller.c.member_id == member_id)
            .order_by(User.email)
        )
    )


def assign_customer(webspace: Webspace, customer: Any) -> Webspace:
    """Name the customer the webspace serves (an id), or none (None or "")."""
    chosen = _clean_customer(webspace.member_id, customer)
    before = {"customer_user_id": webspace.customer_user_id}
    webspace.customer_user_id = chosen.id if chosen else None
    record(
        "webspace.customer",
        webspace,
        before=before,
        after={"customer_user_id": webspace.customer_user_id},
        member_id=webspace.member_id,
    )
    db.session.commit()
    return webspace


def _clean_customer(member_id: int, value: Any) -> User | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip()) if len(value.strip()) <= 10 else 0
    wrong = ValidationFailed.field("customer", _l("Not one of the member's customers."))
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise wrong
    chosen = next((user for user in customers_of(member_id) if user.id == value), None)
    if chosen is None:
        raise wrong
    return chosen
