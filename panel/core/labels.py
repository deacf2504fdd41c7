"""Translated labels for stored values (states, kinds, roles), shown with the `label` filter."""

from flask_babel import lazy_gettext as _l

LABELS = {
    "applicant": _l("applicant"),
    "active": _l("active"),
    "cancelled": _l("cancelled"),
    "ended": _l("ended"),
    "natural": _l("natural person"),
    "legal": _l("legal person"),
    "subscription": _l("subscription"),
    "cancellation": _l("cancellation"),
    "reversal": _l("reversal"),
    "admin": _l("admin"),
    "reseller": _l("reseller"),
    "member": _l("member"),
    "customer": _l("customer"),
}


def label(value: object) -> str:
    return str(LABELS.get(str(value), value))
