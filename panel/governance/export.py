"""A member's part in the resolutions, for its data export: the resolutions it voted on with
its receipt (unsealed for it alone) and, where the ballot was open, its choices; its comments,
amendments, supports and proxies."""

from sqlalchemy import or_, select

from panel.core.export import fields_of, member_rows
from panel.extensions import db
from panel.governance import operations
from panel.governance.models import (
    AmendmentSupport,
    Comment,
    ItemKind,
    Participation,
    Proxy,
    Resolution,
    ResolutionItem,
)

RESOLUTION_FIELDS = ("id", "title", "phase", "secret", "voting_from", "voting_until")


def governance_part(member) -> dict:
    return {
        "votes.json": _votes(member),
        "comments.json": member_rows(
            Comment, member, ("id", "resolution_id", "text", "created_at")
        ),
        "amendments.json": member_rows(
            ResolutionItem,
            member,
            ("id", "resolution_id", "title", "text", "state", "created_at"),
            ResolutionItem.kind == ItemKind.AMENDMENT,
        ),
        "supports.json": member_rows(AmendmentSupport, member, ("item_id", "created_at")),
        "proxies.json": [
            {
                "resolution_id": proxy.resolution_id,
                "given_to" if proxy.principal_id == member.id else "received_from": (
                    proxy.proxy if proxy.principal_id == member.id else proxy.principal
                ).number,
                "created_at": proxy.created_at,
            }
            for proxy in _rows(
                Proxy, or_(Proxy.principal_id == member.id, Proxy.proxy_id == member.id)
            )
        ],
    }


def _votes(member) -> list[dict]:
    votes = []
    for participation in _rows(Participation, Participation.member_id == member.id):
        resolution = db.session.get(Resolution, participation.resolution_id)
        vote = {
            "resolution": fields_of(resolution, RESOLUTION_FIELDS),
            "voted_at": participation.created_at,
            "through_proxy": participation.cast_by_id is not None,
            "receipt": operations.my_receipt(resolution, member),
        }
        if not resolution.secret:
            vote["choices"] = {
                str(item_id): choice
                for item_id, choice in operations.my_open_choices(resolution, member).items()
            }
        votes.append(vote)
    return votes


def _rows(model, *conditions) -> list:
    return list(db.session.scalars(select(model).where(*conditions).order_by(model.id)))
