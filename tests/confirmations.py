"""Reading a page's confirmations: the question a form (or one of its buttons) asks before it
posts to an address (data-confirm, see panel/static/confirm.js)."""

import html
import re

FORM = re.compile(r"<form\b[^>]*>", re.S)
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')


def confirmation(page: str, action: str) -> str | None:
    """The question of the form that posts to ACTION; None when it asks none. Fails when no
    form posts there."""
    for tag in FORM.findall(page):
        attributes = {name: html.unescape(value) for name, value in ATTRIBUTE.findall(tag)}
        if attributes.get("action") == action:
            return attributes.get("data-confirm")
    raise AssertionError(f"no form posts to {action}")
