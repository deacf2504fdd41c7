"""The one way the pages and the API load an API token by id, with the access check and one 404
in the request's language."""

from flask_babel import lazy_gettext as _l

from panel.accounts.models import ApiToken
from panel.core.access import load


def load_api_token(token_id: int, *, change: bool = False) -> ApiToken:
    return load(ApiToken, token_id, _l("No such API token."), change=change)
