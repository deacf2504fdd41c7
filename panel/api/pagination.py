"""Page through a select statement for flask-smorest's @paginate()."""

from sqlalchemy import Select, func, select

from panel.extensions import db


def page_of(stmt: Select, pagination_parameters) -> list:
    """The requested page of the statement's rows; sets the total for the X-Pagination header."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    pagination_parameters.item_count = total
    # A page past the end is empty; asking the database would fail for offsets beyond its range.
    if pagination_parameters.first_item >= total:
        return []
    return db.session.scalars(
        stmt.offset(pagination_parameters.first_item).limit(pagination_parameters.page_size)
    ).all()
