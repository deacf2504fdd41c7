"""The API joins the app: the OpenAPI document's settings, one blueprint per resource (exempt
from CSRF: a bearer token, not a cookie, authenticates it), and the token check."""

from flask import Flask

from panel.api import (
    account,
    audit,
    billing,
    hosts,
    jobs,
    members,
    resolutions,
    servers,
    shares,
    usage,
    users,
    video,
    webspaces,
)
from panel.api.auth import authenticate_bearer
from panel.api.base import api
from panel.extensions import csrf

RESOURCES = (
    account,
    users,
    members,
    shares,
    audit,
    hosts,
    jobs,
    webspaces,
    servers,
    video,
    usage,
    billing,
    resolutions,
)


def register(app: Flask) -> None:
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
    for module in RESOURCES:
        api.register_blueprint(module.blp)
        csrf.exempt(module.blp)
    app.before_request(authenticate_bearer)
