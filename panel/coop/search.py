"""Members in the admins' search: by number, name, email address or prefix."""

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.coop.models import Member
from panel.core.labels import label
from panel.core.listing import matching
from panel.core.search import Finder, Hit
from panel.extensions import db


def find_members(text: str, limit: int) -> list[Hit]:
    columns = (Member.number, Member.name, Member.email, Member.prefix)
    rows = db.session.scalars(
        select(Member).where(matching(text, columns)).order_by(Member.number).limit(limit)
    )
    return [
        Hit(
            f"{member.number} {member.name}",
            url_for("coop.member", member_id=member.id),
            f"{member.email} · {label(member.status)}",
        )
        for member in rows
    ]


MEMBERS = Finder(_l("Members"), find_members, 10)
