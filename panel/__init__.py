"""The cooperative hosting panel."""

from flask import Flask, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from panel.config import build_config


class SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure or super().get_cookie_secure(app)


def select_locale() -> str | None:
    """The session's choice, then the user's setting, then the browser's; outside a request
    (CLI, worker) the default."""
    from flask import current_app, has_request_context

    if not has_request_context():
        return None
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or languages[-1]


def create_app(config: dict | None = None) -> Flask:
    from panel import models  # noqa: F401  (registers every table with the metadata)
    from panel.accounts import auth
    from panel.accounts import views as account_views
    from panel.api.feature import register as register_api
    from panel.billing import payment_views
    from panel.billing import views as billing_views
    from panel.coop import views as coop_views
    from panel.core import headers, metrics, queue, templating
    from panel.core import views as core_views
    from panel.core.errors import register_error_handlers
    from panel.core.sqlite import enable_sqlite_pragmas
    from panel.extensions import babel, csrf, db, limiter, login_manager
    from panel.hosts import views as host_views
    from panel.metering import views as metering_views
    from panel.provisioning import metrics as job_metrics  # noqa: F401  (registers the collector)
    from panel.provisioning import views as job_views
    from panel.webspaces import changes as webspace_changes  # noqa: F401  (actions, targets)
    from panel.webspaces import tls  # noqa: F401  (registers the certificate collector)
    from panel.webspaces import views as webspace_views

    settings = build_config(config)
    app = Flask(__name__, instance_path=str(settings["INSTANCE_PATH"]))
    app.config.update(settings)
    app.session_interface = SessionInterface()
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    db.init_app(app)
    with app.app_context():
        enable_sqlite_pragmas(db.engine)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    auth.init_login(app)

    templating.init_app(app)
    register_error_handlers(app)
    headers.init_app(app)
    metrics.init_app(app)
    queue.init_app(app)
    app.register_blueprint(core_views.bp)
    app.register_blueprint(account_views.bp)
    app.register_blueprint(coop_views.bp)
    app.register_blueprint(host_views.bp)
    app.register_blueprint(job_views.bp)
    app.register_blueprint(webspace_views.bp)
    app.register_blueprint(metering_views.bp)
    app.register_blueprint(billing_views.bp)
    app.register_blueprint(payment_views.bp)
    register_api(app)
    return app
