"""Health, metrics, the dashboard (with the cards the features add) and the language switch."""

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user, login_required
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import select, text

from panel.core.access import require_role
from panel.core.audit import SOURCES, AuditEntry, audit_query
from panel.core.cards import cards
from panel.core.forms import query_number, query_text
from panel.core.listing import MAX_QUERY, Listing, matching, page_of
from panel.core.metrics import REGISTRY, may_read
from panel.core.roles import Role
from panel.core.search import find_everywhere
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


@bp.get("/logo")
def logo():
    """The cooperative's logo (PANEL_LOGO), shown in every page's header, the login page's too."""
    path = current_app.config.get("LOGO") or ""
    if not path or not Path(path).is_file():
        abort(404)
    return send_file(Path(path).resolve(), max_age=3600)


@bp.get("/")
@login_required
def index():
    return render_template(
        "core/dashboard.html",
        cards=cards("dashboard", current_user),
        summary=cards("summary", current_user),
    )


@bp.get("/search")
@login_required
def search():
    """Admins find members, webspaces, domains and invoices from one box in the header."""
    require_role(Role.ADMIN)
    text = query_text("q", MAX_QUERY)
    return render_template("core/search.html", q=text, found=find_everywhere(text) if text else [])


def recent_changes_card(user, **given) -> dict | None:
    """The dashboard's card of the latest audit entries, for admins."""
    if user.role != Role.ADMIN:
        return None
    latest = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(10)
    return {"entries": db.session.scalars(latest).all()}


LARGEST_ID = 2**31 - 1
# By id for "when": ids follow time, and the index on it keeps the newest page cheap.
AUDIT_LIST = Listing(
    sorts={
        "at": AuditEntry.id,
        "who": AuditEntry.actor_label,
        "source": AuditEntry.source,
        "action": AuditEntry.action,
        "object": AuditEntry.object_type,
    },
    tiebreaker=AuditEntry.id,
    search=lambda text: matching(
        text,
        (AuditEntry.action, AuditEntry.object_type, AuditEntry.object_id, AuditEntry.actor_label),
    ),
    direction="desc",
)


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
    page = page_of(audit_query(current_user, filters), AUDIT_LIST, **filters)
    return render_template(
        "core/audit.html",
        page=page,
        entries=page.rows,
        filters=filters,
        sources=SOURCES,
    )
