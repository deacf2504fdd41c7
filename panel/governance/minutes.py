"""A closed resolution's minutes as a PDF/A-3 document (weasyprint), in the current language:
the motion, its phases and dates, the count and the result, and the list of receipts with
their choices (for an open ballot, the members' names). Rendering fetches nothing."""

from flask import current_app, render_template
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from weasyprint import HTML

from panel.billing.pdf import RefuseFetching
from panel.core.errors import Conflict
from panel.governance import operations
from panel.governance.admin_forms import MAJORITY_NAMES
from panel.governance.models import Phase, Resolution


def minutes_pdf(resolution: Resolution) -> bytes:
    if resolution.phase != Phase.CLOSED:
        raise Conflict(_l("Minutes exist once the vote has closed."))
    html = render_template("governance/minutes.html", **_context(resolution))
    return HTML(string=html, url_fetcher=RefuseFetching()).write_pdf(pdf_variant="pdf/a-3b")


def _context(resolution: Resolution) -> dict:
    items = operations.ballot_items(resolution)
    return {
        "resolution": resolution,
        "items": items,
        "not_admitted": [item for item in resolution.items if item not in items],
        "result": operations.result_of(resolution),
        "receipts": operations.published_receipts(resolution) if resolution.secret else [],
        "votes": operations.open_votes(resolution),
        "majority_names": MAJORITY_NAMES,
        "coop": current_app.config["COOP_NAME"],
        "lang": str(get_locale() or "en").replace("_", "-"),
    }
