"""Lists that grow: one page of a select statement, sorted by a column the list allows,
narrowed by free text, without counting the whole table.

A list page names its sortable columns and the columns its free text searches (a `Listing`);
`page_of` reads q, sort, dir and page from the query string. Arguments it cannot use (an
unknown column, a page below 1, a direction other than asc or desc, text with control
characters) fall back to the list's defaults, as the other filters of the pages do: a
hand-edited address shows the plain list, not an error. Text beyond MAX_QUERY is cut off."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import request, url_for
from sqlalchemy import ColumnElement, Select, String, cast, or_

from panel.core.forms import query_number, query_text
from panel.extensions import db

MAX_QUERY = 100
# Far beyond any list; a larger page number is the first page again.
MAX_PAGE = 100_000
DIRECTIONS = ("asc", "desc")


def like_pattern(text: str) -> str:
    """A LIKE pattern that finds the text anywhere, with its own %, _ and \\ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matching(text: str, columns) -> ColumnElement[bool]:
    """Rows where any of the columns holds the text, case-insensitively."""
    pattern = like_pattern(text)
    return or_(*(cast(column, String).ilike(pattern, escape="\\") for column in columns))


@dataclass(frozen=True)
class Listing:
    """What a list allows: SORTS names the columns it may be sorted by (the first, in
    DIRECTION, unless the address asks otherwise); SEARCH makes the condition for the free
    text (None: the list has no free text); TIEBREAKER keeps the order stable where the sort
    column repeats."""

    sorts: Mapping[str, Any]
    tiebreaker: Any
    search: Callable[[str], ColumnElement[bool]] | None = None
    direction: str = "asc"
    page_size: int = 50

    @property
    def default_sort(self) -> str:
        return next(iter(self.sorts))


@dataclass
class Page:
    """One page of a list and the arguments that made it, to link to the others."""

    rows: list
    number: int
    more: bool
    q: str
    sort: str
    direction: str
    listing: Listing
    kept: dict = field(default_factory=dict)

    def url(self, **changes) -> str:
        """This list's address with CHANGES; defaults and empty values are left out."""
        args = {
            **self.kept,
            "q": self.q,
            "sort": self.sort,
            "dir": self.direction,
            "page": self.number,
            **changes,
        }
        if args["sort"] == self.listing.default_sort and args["dir"] == self.listing.direction:
            args.pop("sort")
            args.pop("dir")
        if args["page"] == 1:
            args.pop("page")
        shown = {name: value for name, value in args.items() if value not in (None, "")}
        return url_for(request.endpoint, **(request.view_args or {}), **shown)

    def sort_url(self, name: str) -> str:
        """Sorted by NAME: ascending first, the other way round when it already is."""
        ascending = not (self.sort == name and self.direction == "asc")
        return self.url(sort=name, dir="asc" if ascending else "desc", page=1)

    def aria_sort(self, name: str) -> str | None:
        if name != self.sort:
            return None
        return "ascending" if self.direction == "asc" else "descending"


def _chosen(name: str, allowed, default: str) -> str:
    value = request.args.get(name, "")
    return value if value in allowed else default


def _order(column, direction: str, tiebreaker) -> tuple:
    """Empty values first going up, last going down. Only a nullable column says so: the
    database then sorts every row, where a column without empty values reads its index."""
    nullable = getattr(column.expression, "nullable", True)
    if direction == "asc":
        first = column.asc().nulls_first() if nullable else column.asc()
        return first, tiebreaker.asc()
    first = column.desc().nulls_last() if nullable else column.desc()
    return first, tiebreaker.desc()


def page_of(stmt: Select, listing: Listing, **kept) -> Page:
    """The requested page of STMT's rows; KEPT are the page's other filters, for its links."""
    q = query_text("q", MAX_QUERY) if listing.search else ""
    sort = _chosen("sort", listing.sorts, listing.default_sort)
    direction = _chosen("dir", DIRECTIONS, listing.direction)
    number = query_number("page", MAX_PAGE) or 1
    if q:
        stmt = stmt.where(listing.search(q))
    order = _order(listing.sorts[sort], direction, listing.tiebreaker)
    size = listing.page_size
    # One row more than a page tells whether there is a next one, without counting them all.
    rows = (
        db.session.scalars(
            stmt.order_by(None).order_by(*order).offset((number - 1) * size).limit(size + 1)
        )
        .unique()
        .all()
    )
    return Page(
        rows=rows[:size],
        number=number,
        more=len(rows) > size,
        q=q,
        sort=sort,
        direction=direction,
        listing=listing,
        kept={name: value for name, value in kept.items() if value not in (None, "")},
    )
