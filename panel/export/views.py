"""The member's own archive, from the account page."""

from flask import Blueprint, Response, abort, send_file
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from panel.core.headers import no_store
from panel.export import operations
from panel.extensions import limiter

bp = Blueprint("export", __name__)
# Building an archive reads everything the member has (and renders each invoice's PDF): a few a
# day are all anyone needs.
EXPORT_LIMIT = "10 per hour"


def _caller() -> str:
    """The limit counts per login, so that members behind one address do not share it."""
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


export_limited = limiter.limit(EXPORT_LIMIT, key_func=_caller)


def download(archive, name: str) -> Response:
    return send_file(archive, mimetype="application/zip", as_attachment=True, download_name=name)


@bp.get("/account/export")
@login_required
@export_limited
@no_store
def account_export():
    member = current_user.member
    if member is None:
        abort(404)
    return download(*operations.export_member(member))


def export_card(user, **given) -> dict | None:
    """The account page's card offering the archive, to the logins of a member."""
    return {} if user.member is not None else None
