"""State badges mean one thing per colour on every page: the `state` macro gives each its
class, the stylesheet one colour to each meaning, and no template makes a badge of its own."""

import re
from pathlib import Path

from flask import render_template_string

PANEL = Path(__file__).resolve().parents[2] / "panel"
MEANINGS = {
    "went wrong (red)": ("failed", "lost", "unreachable", "revoked"),
    "done (green)": ("successful", "active", "ready", "issued", "current"),
    "under way (blue)": ("pending", "queued", "running", "onboarding"),
    "held (amber)": ("suspended", "maintenance", "draft", "disabled"),
    "over (grey)": ("deleted", "ended", "canceled", "retired"),
}
RULE = re.compile(r"([^{}]+)\{([^}]*)\}")


def badge_colours() -> dict[str, tuple[str, str]]:
    """Background and text colour of each .state-VALUE, as the stylesheet's last rule of the
    form .state:is(.state-A, .state-B, ...) says."""
    colours: dict[str, tuple[str, str]] = {}
    css = re.sub(r"/\*.*?\*/", "", (PANEL / "static" / "panel.css").read_text(), flags=re.S)
    for selectors, body in RULE.findall(css):
        meaning = re.fullmatch(r"\s*\.state:is\(([^)]*)\)\s*", selectors)
        if not meaning:
            continue
        names = re.findall(r"\.state-([\w-]+)", meaning.group(1))
        background = re.search(r"background:\s*([^;]+)", body)
        colour = re.search(r"(?<![-\w])color:\s*([^;]+)", body)
        for name in names:
            old = colours.get(name, ("", ""))
            colours[name] = (
                background.group(1).strip() if background else old[0],
                colour.group(1).strip() if colour else old[1],
            )
    return colours


def test_each_meaning_has_one_colour_of_its_own():
    colours = badge_colours()
    seen = {}
    for meaning, states in MEANINGS.items():
        shades = {colours.get(state) for state in states}
        assert len(shades) == 1 and None not in shades, (meaning, shades)
        seen[meaning] = shades.pop()
    assert len(set(seen.values())) == len(MEANINGS), seen


def test_the_macro_gives_the_class_and_the_label(app):
    template = '{% from "macros.html" import state %}{{ state(value) }}'
    with app.test_request_context():
        for states in MEANINGS.values():
            for value in states:
                html = render_template_string(template, value=value)
                assert html.startswith(f'<span class="state state-{value}">'), html
        assert render_template_string(template, value="issued") == (
            '<span class="state state-issued">issued</span>'
        )
        # A page that says more keeps the colour of the state.
        own_text = '{% from "macros.html" import state %}{{ state("outdated", "2 updates") }}'
        assert render_template_string(own_text) == (
            '<span class="state state-outdated">2 updates</span>'
        )


def test_no_template_makes_a_badge_of_its_own():
    own = [
        f"{path.relative_to(PANEL)}:{number}"
        for path in (PANEL / "templates").rglob("*.html")
        if path.name != "macros.html"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r'class="state\b', line)
    ]
    assert own == []
