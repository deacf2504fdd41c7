"""The /api/v1 JSON API: bearer tokens, errors in the contract's shape, OpenAPI from the code."""

from flask import Flask, g, request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from panel.core.errors import Forbidden

PUBLIC_PATHS = ("/api/v1/openapi.json",)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadOnlyToken(Forbidden):
    code = "read_only_token"


def authenticate_bearer():
    """Only a bearer token authenticates the API, never a session cookie: the API has no CSRF
    check, so a cookie sent along by a browser must not count."""
    from panel.accounts.tokens import mark_used, token_for_bearer

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


def register_api(app: Flask) -> None:
    from panel.api import account, audit, billing, hosts, jobs, members, shares, usage, webspaces
    from panel.extensions import api, csrf

    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "components": {
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "An API token. A token may expire (then 401 like an "
                        "unknown one); a read-only token may only GET, HEAD and OPTIONS, other "
                        'methods answer 403 with the code "read_only_token".',
                    }
                }
            },
            "security": [{"bearerAuth": []}],
            "info": {
                "description": "JSON API of the cooperative's panel. Every answer other than "
                '2xx carries {"error": {"code", "message", "fields"}}.'
            },
        },
    )
    api.init_app(app)
    for module in (account, members, shares, audit, hosts, jobs, webspaces, usage, billing):
        api.register_blueprint(module.blp)
        csrf.exempt(module.blp)
    app.before_request(authenticate_bearer)
