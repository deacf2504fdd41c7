"""Translated labels for stored values (states, kinds, roles), shown with the `label` filter."""

from weakref import WeakKeyDictionary

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from panel.core.catalogue import catalogue, kept_for

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
    "settled": _l("settled"),
    "withdrawn": _l("withdrawn"),
    "paid": _l("paid"),
    "admin": _l("admin"),
    "reseller": _l("reseller"),
    "member": _l("member"),
    "customer": _l("customer"),
    "queued": _l("queued"),
    "running": _l("running"),
    "successful": _l("successful"),
    "failed": _l("failed"),
    "canceled": _l("canceled"),
    "lost": _l("lost"),
    "new": _l("new"),
    "onboarding": _l("onboarding"),
    "ready": _l("ready"),
    "maintenance": _l("maintenance"),
    "unreachable": _l("unreachable"),
    "retired": _l("retired"),
    "webspace": _l("webspace host"),
    "managed": _l("managed servers"),
    "bbb": _l("BigBlueButton"),
    "bbb-lb": _l("BigBlueButton load balancer"),
    "pending": _l("pending"),
    "suspended": _l("suspended"),
    "deleting": _l("deleting"),
    "deleted": _l("deleted"),
    "unverified": _l("unverified"),
    "complete": _l("complete"),
    "gap": _l("gap"),
    "reset": _l("counter reset"),
    "open": _l("open"),
    "closed": _l("closed"),
    "draft": _l("draft"),
    "issued": _l("issued"),
    "invoice": _l("invoice"),
    "credit_note": _l("credit note"),
    "supplementary": _l("supplementary invoice"),
    "revoked": _l("revoked"),
    "disabled": _l("disabled"),
    "requested": _l("requested"),
    "releasing": _l("releasing"),
    "released": _l("released"),
    "archive": _l("archived"),
    "wipe": _l("wiped"),
    # Resolutions: their phases, their amendments' states, the choices on a ballot.
    "announced": _l("announced"),
    "discussion": _l("discussion"),
    "voting": _l("voting"),
    "proposed": _l("proposed"),
    "on_ballot": _l("on the ballot"),
    "not_admitted": _l("not admitted"),
    "yes": _l("yes"),
    "no": _l("no"),
    "abstain": _l("abstain"),
    # Where an audited change came from.
    "web": _l("web page"),
    "api": _l("API"),
    "cli": _l("command line"),
    "worker": _l("worker"),
}


# Each catalogue's translated labels: the same for every request in its locale.
_shown: WeakKeyDictionary = WeakKeyDictionary()


def label(value: object) -> str:
    """A stored value's label in the current locale (the value itself where it has none)."""
    key = str(value)
    if key not in LABELS:
        return key
    shown = kept_for(_shown, catalogue())
    text = shown.get(key)
    if text is None:
        text = shown[key] = str(LABELS[key])
    return text


def label_choices(*values: str) -> list[SelectChoice]:
    """Select options for stored values, shown with their translated labels."""
    return [SelectChoice(value, LABELS[value]) for value in values]
