"""Page through a select statement for flask-smorest's @paginate()."""

from sqlalchemy import Select, func, select

from panel.extensions import db


def page_of(stmt: Select, pagination_parameters) -> list:
    pagination_parameters.item_count = db.session.scalar(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    )
    return db.session.scalars(
        stmt.offset(pagination_parameters.first_item).limit(pagination_parameters.page_size)
    ).all()
