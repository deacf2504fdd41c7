"""Resolutions of the general assembly: the board drafts and announces them, members read
them, give a proxy, vote, and read the result with every ballot's receipt."""

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, fields, validate

from panel.api.base import ApiBlueprint
from panel.api.links import links
from panel.api.pagination import page_of
from panel.api.schemas import Flag, Id, InputSchema, Text, UtcDateTime, errors
from panel.coop.loaders import member_by_number
from panel.coop.models import Member
from panel.core.access import own_member, require_role
from panel.core.errors import NotFound, ValidationFailed
from panel.core.headers import no_store
from panel.core.roles import MEMBER_ROLES, Role
from panel.extensions import db
from panel.governance import operations, phases
from panel.governance.loaders import load_resolution, require_governance
from panel.governance.models import ItemKind, ItemState, Majority, Phase

blp = ApiBlueprint(
    "api_resolutions", __name__, url_prefix="/api/v1/resolutions", description="Resolutions"
)
RESOLUTION_OPERATIONS = (
    "GET /api/v1/resolutions/{resolution_id}",
    "PATCH /api/v1/resolutions/{resolution_id}",
    "DELETE /api/v1/resolutions/{resolution_id}",
    "POST /api/v1/resolutions/{resolution_id}/announce",
    "POST /api/v1/resolutions/{resolution_id}/ballots",
    "GET /api/v1/resolutions/{resolution_id}/ballot",
    "POST /api/v1/resolutions/{resolution_id}/proxy",
    "DELETE /api/v1/resolutions/{resolution_id}/proxy",
    "GET /api/v1/resolutions/{resolution_id}/result",
)
CHOICE = validate.OneOf(operations.CHOICES)
MAJORITY = [majority.value for majority in Majority]
MOMENT = {"description": "ISO 8601 with its offset, like 2026-05-01T18:00:00+02:00"}


class ItemSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": [kind.value for kind in ItemKind]})
    title = fields.String()
    text = fields.String(metadata={"description": "Markdown"})
    state = fields.String(metadata={"enum": [state.value for state in ItemState]})
    proposed_by = fields.Method(
        "proposer", metadata={"type": "string", "nullable": True, "example": "M-00042"}
    )
    supporters = fields.Method("supporter_count", metadata={"type": "integer"})
    yes = fields.Integer(allow_none=True, metadata={"description": "counted at the close"})
    no = fields.Integer(allow_none=True)
    abstain = fields.Integer(allow_none=True)
    passed = fields.Boolean(allow_none=True)

    def proposer(self, item):
        member = db.session.get(Member, item.member_id) if item.member_id else None
        return member.number if member else None

    def supporter_count(self, item):
        return len(item.supports)


class ResolutionSummarySchema(Schema):
    id = fields.Integer()
    title = fields.String()
    phase = fields.String(metadata={"enum": [phase.value for phase in Phase]})
    majority = fields.String(metadata={"enum": MAJORITY})
    quorum_percent = fields.Integer()
    secret = fields.Boolean()
    cutoff = fields.Date()
    discussion_from = UtcDateTime()
    voting_from = UtcDateTime()
    voting_until = UtcDateTime()
    min_supporters = fields.Integer()
    eligible_count = fields.Integer(
        allow_none=True, metadata={"description": "fixed when the vote opens"}
    )
    announced_at = UtcDateTime(allow_none=True)
    closed_at = UtcDateTime(allow_none=True)


class ResolutionSchema(ResolutionSummarySchema):
    text = fields.String(metadata={"description": "Markdown"})
    items = fields.List(
        fields.Nested(ItemSchema),
        metadata={"description": "the motion first, then the amendments"},
    )


class ResolutionUpdateSchema(InputSchema):
    title = Text(min_length=1, max_length=200)
    text = Text(min_length=1, max_length=operations.MAX_TEXT, multiline=True)
    majority = fields.String(validate=validate.OneOf(MAJORITY))
    quorum_percent = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=100),
        metadata={"description": "share of the eligible members that must vote"},
    )
    secret = Flag()
    cutoff = fields.Date(metadata={"description": "members on the register on this day vote"})
    discussion_from = fields.AwareDateTime(metadata=MOMENT)
    voting_from = fields.AwareDateTime(metadata=MOMENT)
    voting_until = fields.AwareDateTime(metadata=MOMENT)
    min_supporters = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=operations.MAX_SUPPORTERS),
        metadata={"description": "supporters an amendment needs to be put to the vote"},
    )


class ResolutionDraftSchema(ResolutionUpdateSchema):
    title = Text(required=True, min_length=1, max_length=200)
    text = Text(required=True, min_length=1, max_length=operations.MAX_TEXT, multiline=True)
    majority = fields.String(load_default=Majority.SIMPLE.value, validate=validate.OneOf(MAJORITY))
    cutoff = fields.Date(
        required=True, metadata={"description": "members on the register on this day vote"}
    )
    discussion_from = fields.AwareDateTime(required=True, metadata=MOMENT)
    voting_from = fields.AwareDateTime(required=True, metadata=MOMENT)
    voting_until = fields.AwareDateTime(required=True, metadata=MOMENT)
    draft = Flag(
        load_default=False,
        metadata={
            "description": "true: a draft that members do not see until it is announced; "
            "false (default): announced at once, its phases following its times"
        },
    )


class BallotSchema(InputSchema):
    choice = fields.String(required=True, validate=CHOICE, metadata={"description": "the motion"})
    amendments = fields.Dict(
        keys=fields.String(validate=validate.Length(max=12)),
        values=fields.String(validate=CHOICE),
        metadata={"description": "the amendments on the ballot voted on, by item id"},
    )
    on_behalf_of = Id(metadata={"description": "the member you vote for as its proxy"})


class ReceiptSchema(Schema):
    receipt = fields.String(metadata={"example": "7F3K-9QX2-M4TB-8WRE"})


class PrincipalSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    name = fields.String()
    voted = fields.Boolean()


class MyBallotSchema(Schema):
    voted = fields.Boolean()
    receipt = fields.String(
        allow_none=True, metadata={"description": "your current receipt; a new vote replaces it"}
    )
    cast_by = fields.String(allow_none=True, metadata={"description": "the proxy that voted"})
    choices = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "your choices by item id (open resolutions only)"},
    )
    vote_open = fields.Boolean()
    eligible = fields.Boolean()
    proxy = fields.String(allow_none=True, metadata={"description": "the proxy you authorised"})
    principals = fields.List(
        fields.Nested(PrincipalSchema), metadata={"description": "the members you vote for"}
    )


class ProxyInputSchema(InputSchema):
    proxy_member = Text(required=True, min_length=1, max_length=20, metadata={"example": "M-00012"})


class ProxySchema(Schema):
    principal = fields.String()
    proxy = fields.String()


class AmendmentResultSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    yes = fields.Integer()
    no = fields.Integer()
    abstain = fields.Integer()
    majority_met = fields.Boolean()
    passed = fields.Boolean()


class PublishedBallotSchema(Schema):
    receipt = fields.String()
    choice = fields.String(allow_none=True, metadata={"description": "on the motion"})
    amendments = fields.Dict(keys=fields.String(), values=fields.String())


class OpenVoteSchema(Schema):
    member = fields.String()
    name = fields.String()
    choice = fields.String(allow_none=True)
    amendments = fields.Dict(keys=fields.String(), values=fields.String())


class ResultSchema(Schema):
    yes = fields.Integer()
    no = fields.Integer()
    abstain = fields.Integer()
    voters = fields.Integer()
    eligible = fields.Integer()
    turnout = fields.Float(metadata={"description": "percent of the eligible members"})
    quorum_met = fields.Boolean()
    majority_met = fields.Boolean()
    passed = fields.Boolean()
    amendments = fields.List(fields.Nested(AmendmentResultSchema))
    receipts = fields.List(fields.Nested(PublishedBallotSchema))
    votes = fields.List(
        fields.Nested(OpenVoteSchema), metadata={"description": "open resolutions only"}
    )


@blp.route("")
@blp.response(200, ResolutionSummarySchema(many=True))
@blp.paginate()
@errors(blp)
def list_resolutions(pagination_parameters):
    """The resolutions: every one for admins, the announced ones for members."""
    require_governance()
    phases.catch_up_all()
    return page_of(operations.visible_resolutions(current_user), pagination_parameters)


@blp.route("", methods=["POST"], roles=[Role.ADMIN])
@blp.arguments(ResolutionDraftSchema)
@blp.response(201, ResolutionSchema)
@links(blp, 201, RESOLUTION_OPERATIONS, {"id": "resolution_id"})
@errors(blp, 422)
def draft_resolution(data):
    """Put a resolution before the members (admin): announced at once and in the phase its
    times give, or with "draft": true a draft to announce later."""
    draft = data.pop("draft")
    resolution = operations.draft_resolution(data)
    if not draft:
        phases.catch_up(operations.announce_resolution(resolution))
    return resolution


@blp.route("/<int:resolution_id>")
@blp.response(200, ResolutionSchema)
@errors(blp, 403, 404)
def get_resolution(resolution_id):
    """One resolution with its motion and amendments."""
    return load_resolution(resolution_id)


@blp.route("/<int:resolution_id>", methods=["PATCH"], roles=[Role.ADMIN])
@blp.arguments(ResolutionUpdateSchema)
@blp.response(200, ResolutionSchema)
@errors(blp, 404, 409, 422)
def update_resolution(data, resolution_id):
    """Change a draft (admin)."""
    return operations.update_resolution(load_resolution(resolution_id, change=True), data)


@blp.route("/<int:resolution_id>", methods=["DELETE"], roles=[Role.ADMIN])
@blp.response(204)
@errors(blp, 404, 409)
def delete_resolution(resolution_id):
    """Delete a draft (admin); an announced resolution stays."""
    operations.delete_draft(load_resolution(resolution_id, change=True))


@blp.route("/<int:resolution_id>/announce", methods=["POST"], roles=[Role.ADMIN])
@blp.response(200, ResolutionSchema)
@errors(blp, 404, 409)
def announce_resolution(resolution_id):
    """Show the draft to the members (admin); its phases then open on time."""
    return operations.announce_resolution(load_resolution(resolution_id, change=True))


def _voting_member() -> Member:
    """The member the caller votes as: a member's or reseller's login (an admin's is the
    board's, not a member's)."""
    require_role(*MEMBER_ROLES)
    return own_member()


def _principal(member_id: int | None) -> Member | None:
    if member_id is None:
        return None
    principal = db.session.get(Member, member_id)
    if principal is None:
        raise ValidationFailed.field("on_behalf_of", _l("No such member."))
    return principal


@blp.route("/<int:resolution_id>/ballots", methods=["POST"])
@blp.arguments(BallotSchema)
@blp.response(201, ReceiptSchema)
@errors(blp, 403, 404, 409, 422)
@no_store
def cast_ballot(data, resolution_id):
    """Vote on the motion (and the amendments on the ballot); a second ballot replaces the
    first. The receipt lets you find your ballot in the published list after the close."""
    resolution = load_resolution(resolution_id)
    member = _voting_member()
    motion_id = operations.motion(resolution).id
    amendments = data.get("amendments", {})
    if str(motion_id) in amendments:
        message = _l("The motion is voted on with choice, not among the amendments.")
        raise ValidationFailed.field("amendments", message)
    choices = {**amendments, motion_id: data["choice"]}
    principal = _principal(data.get("on_behalf_of"))
    return {"receipt": operations.cast_ballot(resolution, member, choices, on_behalf_of=principal)}


@blp.route("/<int:resolution_id>/ballot")
@blp.response(200, MyBallotSchema)
@errors(blp, 403, 404)
@no_store
def my_ballot(resolution_id):
    """Whether you voted, your receipt, your proxy and the members you vote for."""
    resolution = load_resolution(resolution_id)
    member = _voting_member()
    participation = operations.my_participation(resolution, member)
    cast_by_id = participation.cast_by_id if participation else None
    cast_by = db.session.get(Member, cast_by_id) if cast_by_id else None
    given = operations.proxy_of(resolution, member)
    return {
        "voted": participation is not None,
        "receipt": operations.my_receipt(resolution, member),
        "cast_by": cast_by.number if cast_by else None,
        "choices": operations.my_open_choices(resolution, member),
        "vote_open": operations.vote_open(resolution),
        "eligible": operations.is_eligible(resolution, member),
        "proxy": given.proxy.number if given else None,
        "principals": [
            {
                "id": principal.id,
                "number": principal.number,
                "name": principal.name,
                "voted": operations.my_participation(resolution, principal) is not None,
            }
            for principal in operations.principals_of(resolution, member)
        ],
    }


@blp.route("/<int:resolution_id>/proxy", methods=["POST"])
@blp.arguments(ProxyInputSchema)
@blp.response(201, ProxySchema)
@errors(blp, 403, 404, 409, 422)
def authorise_proxy(data, resolution_id):
    """Authorise another member to vote for you on this resolution."""
    resolution = load_resolution(resolution_id)
    member = _voting_member()
    proxy = member_by_number(data["proxy_member"])
    if proxy is None:
        raise ValidationFailed.field("proxy_member", _l("No member has this number."))
    operations.authorise_proxy(resolution, member, proxy)
    return {"principal": member.number, "proxy": proxy.number}


@blp.route("/<int:resolution_id>/proxy", methods=["DELETE"])
@blp.response(204)
@errors(blp, 403, 404, 409)
def revoke_proxy(resolution_id):
    """Revoke the proxy you gave for this resolution."""
    resolution = load_resolution(resolution_id)
    given = operations.proxy_of(resolution, _voting_member())
    if given is None:
        raise NotFound(_l("You have given no proxy for this resolution."))
    operations.revoke_proxy(given)


@blp.route("/<int:resolution_id>/result")
@blp.response(200, ResultSchema)
@errors(blp, 403, 404, 409)
def result(resolution_id):
    """The result after the close: counts, turnout, quorum and majority, and every ballot's
    receipt with its choices (for an open resolution also who chose what)."""
    resolution = load_resolution(resolution_id)
    counted = operations.result_of(resolution)
    motion_id = counted.motion.item_id
    titles = {item.id: item.title for item in resolution.items}

    def split(choices: dict[int, str]) -> dict:
        rest = {str(item): choice for item, choice in choices.items() if item != motion_id}
        return {"choice": choices.get(motion_id), "amendments": rest}

    answer = {
        "yes": counted.motion.yes,
        "no": counted.motion.no,
        "abstain": counted.motion.abstain,
        "voters": counted.voters,
        "eligible": counted.eligible,
        "turnout": counted.turnout,
        "quorum_met": counted.quorum_met,
        "majority_met": counted.majority_met,
        "passed": counted.passed,
        "amendments": [
            {**vars(item), "id": item.item_id, "title": titles[item.item_id]}
            for item in counted.amendments
        ],
        "receipts": [
            {"receipt": ballot["receipt"], **split(ballot["choices"])}
            for ballot in operations.published_receipts(resolution)
        ],
    }
    if not resolution.secret:
        answer["votes"] = [
            {"member": vote["member"], "name": vote["name"], **split(vote["choices"])}
            for vote in operations.open_votes(resolution)
        ]
    return answer
