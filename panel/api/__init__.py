"""The /api/v1 JSON API: bearer tokens, errors in the contract's shape, OpenAPI from the code."""

from flask import Flask, g, request

PUBLIC_PATHS = ("/api/v1/openapi.json",)


def authenticate_bearer():
    from panel.accounts.tokens import user_for_bearer
    from panel.core.errors import PanelError

    if request.path in PUBLIC_PATHS or not request.path.startswith("/api/"):
        return None
    user = user_for_bearer(request.headers.get("Authorization", ""))
    if user is None:
        error = PanelError("A valid bearer token is needed.")
        error.status, error.code = 401, "unauthorized"
        raise error
    # Only the token authenticates the API, never a session cookie (the API has no CSRF check);
    # flask-login reads the user of this request from g._login_user.
    g._login_user = user
    return None


def register_api(app: Flask) -> None:
    from panel.api import account, audit, members, shares
    from panel.extensions import api, csrf

    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
            "info": {"description": "Members, shares, webspaces, jobs, usage and invoices."},
        },
    )
    api.init_app(app)
    for module in (account, members, shares, audit):
        api.register_blueprint(module.blp)
        csrf.exempt(module.blp)
    app.before_request(authenticate_bearer)
