"""The cooperative hosting panel."""

import gc

# The panel's modules and their libraries make some 240,000 objects that live as long as the
# process. The collector would walk them in every full collection while they are made and after,
# and Python's shutdown walks them once more: made with collection paused and frozen afterwards
# (gc.freeze), they cost a `panel` command 1.3 s of CPU instead of 2.4 s.
_collecting = gc.isenabled()
gc.disable()

from flask import Flask, current_app, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from panel.accounts import feature as accounts
from panel.api import feature as api
from panel.billing import feature as billing
from panel.config import build_config
from panel.coop import feature as coop
from panel.core import catalogue
from panel.core import feature as core
from panel.core.sqlite import enable_sqlite_pragmas
from panel.export import feature as export
from panel.extensions import babel, csrf, db, limiter, login_manager
from panel.governance import feature as governance
from panel.hosts import feature as hosts
from panel.metering import feature as metering
from panel.notifications import feature as notifications
from panel.provisioning import feature as provisioning
from panel.servers import feature as servers
from panel.status import feature as status
from panel.video import feature as video
from panel.webspaces import feature as webspaces

gc.freeze()
if _collecting:
    gc.enable()

# Each joins the app with its register(app), in this order: a feature's pages, tasks, filters,
# cards, metrics and hooks come after those of the layers it builds on.
FEATURES = (
    core,
    accounts,
    notifications,
    coop,
    hosts,
    provisioning,
    webspaces,
    servers,
    video,
    metering,
    billing,
    governance,
    status,
    export,
    api,
)


class SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or super().get_cookie_secure(app)


def select_locale() -> str | None:
    """The session's choice, then the user's setting, then the browser's; outside a request
    (CLI, worker) the default."""
    if not has_request_context():
        return None
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or languages[-1]


def select_timezone() -> str | None:
    """The user's setting; else (None) the panel's, PANEL_TIMEZONE."""
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.timezone
    return None


def create_app(config: dict | None = None) -> Flask:
    app = _flask_app(build_config(config))
    _init_extensions(app)
    for feature in FEATURES:
        feature.register(app)
    return app


def _flask_app(settings: dict) -> Flask:
    """The Flask app with the settings, the session cookie's rules and the trusted proxies."""
    app = Flask(__name__, instance_path=str(settings["INSTANCE_PATH"]))
    app.config.update(settings)
    app.session_interface = SessionInterface()
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        enable_sqlite_pragmas(db.engine)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    catalogue.install(app)
