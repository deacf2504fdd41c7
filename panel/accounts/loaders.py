"""The one way the pages and the API load an API token or a kept account by id, with the access
check and one 404 in the request's language; and which accounts a list shows."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select

from panel.accounts.models import ApiToken, User
from panel.core.access import load, scope_to_managed
from panel.core.roles import ROLE_VALUES


def load_api_token(token_id: int, *, change: bool = False) -> ApiToken:
    return load(ApiToken, token_id, _l("No such API token."), change=change)


def load_account(user_id: int) -> User:
    """An account the caller keeps: any for an admin, its customers' for a reseller."""
    return load(User, user_id, _l("No such account."), manage=True)


def _like(text: str) -> str:
    """A LIKE pattern that finds the text anywhere, with its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def managed_accounts(search: str = "", role: str = "") -> Select:
    """The accounts the caller keeps, by address, narrowed to those whose address or name
    holds SEARCH and to one ROLE."""
    stmt = scope_to_managed(select(User).order_by(User.email), User.reseller_id)
    if search:
        pattern = _like(search)
        stmt = stmt.where(
            or_(
                User.email.ilike(pattern, escape="\\"),
                User.display_name.ilike(pattern, escape="\\"),
            )
        )
    if role in ROLE_VALUES:
        stmt = stmt.where(User.role == role)
    return stmt
