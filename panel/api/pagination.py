"""Page through a select statement for flask-smorest's @paginate()."""

import json

from flask_smorest.pagination import PaginationMetadataSchema
from marshmallow import fields
from sqlalchemy import Select, func, select

from panel.api.base import ApiBlueprint
from panel.extensions import db

# Far beyond the rows of any table, and below the 64-bit integers databases take for OFFSET
# and LIMIT: a page starting further on is empty without asking.
LARGEST_OFFSET = 2**62


def page_of(stmt: Select, pagination_parameters) -> list:
    """The requested page of the statement's rows; sets the total for the X-Pagination header.
    A page shorter than a full one ends the list, so its total needs no count: most of a
    member's lists fit on their first page."""
    first, size = pagination_parameters.first_item, pagination_parameters.page_size
    rows = []
    # Beyond it a page is empty without asking: databases take no larger OFFSET.
    if first <= LARGEST_OFFSET:
        rows = db.session.scalars(stmt.offset(first).limit(size)).all()
    if len(rows) < size and (rows or not first):
        pagination_parameters.item_count = first + len(rows)
    else:
        pagination_parameters.item_count = _count(stmt)
    return rows


def page_counted_to_its_end(stmt: Select, pagination_parameters) -> list:
    """The requested page of a list too long to count on every call: the page and the row after
    it in one query, which tells whether more follow. The total counts no row beyond that one
    (a page past the end counts up to its start), and `more` says whether there are others
    (see CountedToPageEndBlueprint)."""
    first, size = pagination_parameters.first_item, pagination_parameters.page_size
    rows = []
    if first <= LARGEST_OFFSET:
        rows = db.session.scalars(stmt.offset(first).limit(size + 1)).all()
    if rows or not first:
        pagination_parameters.item_count = first + len(rows)
    else:
        pagination_parameters.item_count = _count(stmt.limit(min(first, LARGEST_OFFSET)))
    pagination_parameters.more = len(rows) > size
    return rows[:size]


def _count(stmt: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


class CountedToPageEndMetadataSchema(PaginationMetadataSchema):
    more = fields.Boolean(
        metadata={
            "description": "Whether rows follow beyond the next page's first: this list counts "
            "no further, so total, total_pages and last_page are then lower bounds and "
            "next_page leads on."
        }
    )


class CountedToPageEndBlueprint(ApiBlueprint):
    """A blueprint whose lists page with page_counted_to_its_end: X-Pagination carries `more`."""

    def _set_pagination_metadata(self, page_params, result, headers):
        metadata = self._make_pagination_metadata(
            page_params.page, page_params.page_size, page_params.item_count
        )
        metadata["more"] = page_params.more
        headers = {**(headers or {}), self.PAGINATION_HEADER_NAME: json.dumps(metadata)}
        return result, headers

    def _document_pagination_metadata(self, spec, resp_doc):
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = {
            "description": "Paging of the list as JSON (page and page_size parameters), counted "
            "up to the row after the page.",
            "content": {"application/json": {"schema": CountedToPageEndMetadataSchema}},
        }
