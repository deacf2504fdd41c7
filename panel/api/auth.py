"""Who calls the API: a bearer token, never a session cookie; a read-only token only reads."""

from flask import g, request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from panel.accounts.tokens import mark_used, token_for_bearer
from panel.api.base import READ_METHODS
from panel.core.errors import Forbidden

PUBLIC_PATHS = ("/api/v1/openapi.json",)


class ReadOnlyToken(Forbidden):
    code = "read_only_token"


def authenticate_bearer():
    """Only a bearer token authenticates the API, never a session cookie: the API has no CSRF
    check, so a cookie sent along by a browser must not count."""
    if request.path in PUBLIC_PATHS or not request.path.startswith("/api/"):
        return None
    api_token = token_for_bearer(request.headers.get("Authorization", ""))
    if api_token is None:
        raise Unauthorized(
            "A valid bearer token is needed (Authorization: Bearer <token>).",
            www_authenticate=WWWAuthenticate("bearer", {"realm": "panel"}),
        )
    refused = api_token.read_only and request.method not in READ_METHODS
    # flask-login takes the user of this request from g._login_user, before any session.
    g._login_user = api_token.user
    g.api_token = api_token
    mark_used(api_token)
    if refused:
        raise ReadOnlyToken(
            _l("This token is read-only: it may only read (GET, HEAD, OPTIONS), not change.")
        )
    return None
