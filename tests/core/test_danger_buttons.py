"""Buttons that destroy or end something look like danger on every page (class "danger")."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "panel" / "templates"
DESTRUCTIVE = re.compile(r"^(Delete|Remove|Revoke|Purge|Retire|End|Close|Issue|Disable|Reset)\b")
# button(ACTION, _("Label" ...), "style" ...) as the pages call the macro, the style given by
# position or by name.
CALL = re.compile(r'button\(url_for\([^)]*\), _\("([^"]+)"[^)]*\)(?:, (?:style=)?"([^"]*)")?')
# <button ... class="...">{{ _("Label") }}</button> written out.
WRITTEN = re.compile(r'<button\b([^>]*)>\{\{ _\("([^"]+)"\) \}\}</button>')


def _class(attributes: str) -> str:
    found = re.search(r'class="([^"]*)"', attributes)
    return found.group(1) if found else ""


def test_destructive_buttons_are_danger_buttons():
    plain = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        found = [(label, style or "") for label, style in CALL.findall(text)]
        found += [(label, _class(attributes)) for attributes, label in WRITTEN.findall(text)]
        plain += [
            f"{path.relative_to(TEMPLATES)}: {label}"
            for label, style in found
            if DESTRUCTIVE.match(label) and "danger" not in style.split()
        ]
    assert plain == []


def test_the_check_sees_the_buttons_it_is_about():
    webspace = (TEMPLATES / "webspaces" / "webspace.html").read_text()
    labels = [label for label, _style in CALL.findall(webspace)]
    assert {"Delete webspace", "Remove", "Delete", "Purge now"} <= set(labels)
