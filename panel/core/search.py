"""The admins' search across the panel: each feature adds a finder for its kind of record
(members, webspaces, domains, invoices), so that the page need not know them."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app

# Hits shown per kind; more than that says to narrow the search or use the kind's own list.
HITS_PER_KIND = 20


@dataclass(frozen=True)
class Hit:
    label: str
    url: str
    detail: str = ""


@dataclass(frozen=True)
class Finder:
    """FIND gives up to LIMIT records of its KIND matching the text, as hits; kinds show in
    the order of their POSITION."""

    kind: object
    find: Callable[[str, int], list[Hit]]
    position: int = 0


@dataclass(frozen=True)
class Found:
    kind: object
    hits: list[Hit]
    more: bool


def add_finder(app: Flask, finder: Finder) -> None:
    app.extensions.setdefault("finders", []).append(finder)


def find_everywhere(text: str) -> list[Found]:
    """Every kind with hits for the text, in order."""
    finders = sorted(current_app.extensions.get("finders", []), key=lambda each: each.position)
    found = []
    for finder in finders:
        hits = finder.find(text, HITS_PER_KIND + 1)
        if hits:
            found.append(Found(finder.kind, hits[:HITS_PER_KIND], len(hits) > HITS_PER_KIND))
    return found
