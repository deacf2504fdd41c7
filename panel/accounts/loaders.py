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
    """The accounts the caller keeps (see matching_accounts)."""
    return scope_to_managed(matching_accounts(search, role), User.reseller_id)


def matching_accounts(search: str = "", role: str = "") -> Select:
    """All accounts by address, narrowed to those whose address or name holds SEARCH and to
    one ROLE; the office's command line lists them."""
    stmt = select(User).order_by(User.email)
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
