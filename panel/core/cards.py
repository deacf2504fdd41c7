"""Cards: parts of a page that other features add (the dashboard's, a host's), so that the
page's own package need not know them."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app


@dataclass(frozen=True)
class Card:
    """TEMPLATE shows the card with the values VALUES makes from the page's subject (and what
    the page was given, e.g. a form with errors), as `card`; None leaves the card out. Cards
    show in the order of their POSITION."""

    template: str
    values: Callable[..., dict | None]
    position: int = 0


def add_card(app: Flask, page: str, card: Card) -> None:
    app.extensions.setdefault("cards", {}).setdefault(page, []).append(card)


def cards(page: str, subject: object, **given) -> list[tuple[str, dict]]:
    """The page's cards that show for the subject: (template, values), in order."""
    added = current_app.extensions.get("cards", {}).get(page, [])
    shown = []
    for card in sorted(added, key=lambda card: card.position):
        values = card.values(subject, **given)
        if values is not None:
            shown.append((card.template, values))
    return shown
