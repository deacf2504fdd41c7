"""Health, metrics, the dashboard (with the cards the features add) and the language switch."""

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import select, text

from panel.core.audit import SOURCES, AuditEntry, audit_query
from panel.core.cards import cards
from panel.core.forms import query_number, query_text
from panel.core.metrics import REGISTRY, may_read
from panel.core.roles import Role
from panel.core.validators import is_local_path
from panel.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any database failure means unhealthy
        current_app.logger.warning("health check failed: %s", exc)
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.get("/metrics")
def metrics():
    if not may_read():
        abort(403)
    return generate_latest(REGISTRY), 200, {"Content-Type": CONTENT_TYPE_LATEST}


@bp.post("/language")
def language():
    chosen = request.form.get("lang", "")
    if chosen in current_app.config["LANGUAGES"]:
        session["lang"] = chosen
    target = request.form.get("next", "")
    return redirect(target if is_local_path(target) else url_for("core.index"))


@bp.get("/")
@login_required
def index():
    return render_template("core/dashboard.html", cards=cards("dashboard", current_user))


def recent_changes_card(user, **given) -> dict | None:
    """The dashboard's card of the latest audit entries, for admins."""
    if user.role != Role.ADMIN:
        return None
    latest = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(10)
    return {"entries": db.session.scalars(latest).all()}


AUDIT_PAGE_SIZE = 50
LARGEST_ID = 2**31 - 1


@bp.get("/audit")
@login_required
def audit():
    filters: dict = {
        name: value
        for name, value in (
            ("action", query_text("action", 64)),
            ("source", query_text("source", 8)),
            ("object_type", query_text("object_type", 40)),
            ("member_id", query_number("member_id", LARGEST_ID)),
        )
        if value
    }
    page = query_number("page", 100_000) or 1
    rows = db.session.scalars(
        audit_query(current_user, filters)
        .offset((page - 1) * AUDIT_PAGE_SIZE)
        .limit(AUDIT_PAGE_SIZE + 1)
    ).all()
    return render_template(
        "core/audit.html",
        entries=rows[:AUDIT_PAGE_SIZE],
        more=len(rows) > AUDIT_PAGE_SIZE,
        page=page,
        filters=filters,
        sources=SOURCES,
    )
