"""The caller's own account and API tokens."""

from flask import g
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from panel.accounts import operations
from panel.accounts.loaders import load_api_token
from panel.accounts.models import ApiToken
from panel.accounts.operations import MAX_TOKEN_DAYS
from panel.api.base import ApiBlueprint
from panel.api.links import links
from panel.api.pagination import page_of
from panel.api.schemas import Flag, InputSchema, Text, UtcDateTime, errors
from panel.core.headers import no_store
from panel.core.timezones import TIMEZONE_LENGTH

blp = ApiBlueprint("api_account", __name__, url_prefix="/api/v1/account", description="Own account")


class AccountSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    display_name = fields.String()
    role = fields.String()
    locale = fields.String(allow_none=True)
    timezone = fields.String(
        allow_none=True,
        metadata={"description": "IANA name pages show times in; null: the panel's own."},
    )
    member_id = fields.Integer(allow_none=True)
    totp_enabled = fields.Boolean()
    last_login_at = UtcDateTime(allow_none=True)


class AccountUpdateSchema(InputSchema):
    display_name = Text(max_length=120)
    locale = fields.String(validate=validate.OneOf(["de", "en"]))
    timezone = fields.String(
        allow_none=True,
        validate=validate.Length(max=TIMEZONE_LENGTH),
        metadata={"description": "An IANA name such as Europe/Berlin; null: the panel's own."},
    )


class TokenSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "The first characters, to recognise it."})
    created_at = UtcDateTime()
    last_used_at = UtcDateTime(allow_none=True)
    revoked_at = UtcDateTime(allow_none=True)
    expires_at = UtcDateTime(
        allow_none=True, metadata={"description": "From then on the token is refused (401)."}
    )
    read_only = fields.Boolean(
        metadata={"description": "May only GET, HEAD and OPTIONS; other methods answer 403."}
    )


class NewTokenSchema(TokenSchema):
    token = fields.String(metadata={"description": "Shown once, never again."})


class TokenCreateSchema(InputSchema):
    name = Text(required=True, min_length=1, max_length=80)
    expires_in_days = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_TOKEN_DAYS),
        metadata={
            "description": "The token expires after this many days (none: never). A token "
            "made with an expiring token must expire no later than that one."
        },
    )
    read_only = Flag(metadata={"description": "Only GET, HEAD and OPTIONS (default false)."})


@blp.route("")
@blp.response(200, AccountSchema)
@errors(blp)
def get_account():
    """The caller's account."""
    return current_user


@blp.route("", methods=["PATCH"])
@blp.arguments(AccountUpdateSchema)
@blp.response(200, AccountSchema)
@errors(blp, 422)
def patch_account(data):
    """Change the caller's display name, language or time zone."""
    return operations.update_account(
        current_user,
        display_name=data.get("display_name"),
        locale=data.get("locale"),
        timezone=data.get("timezone", operations.KEEP),
    )


@blp.route("/tokens")
@blp.response(200, TokenSchema(many=True))
@blp.paginate()
@errors(blp, 422)
def list_tokens(pagination_parameters):
    """The caller's API tokens, revoked ones included."""
    stmt = select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id)
    return page_of(stmt, pagination_parameters)


@blp.route("/tokens", methods=["POST"])
@blp.arguments(TokenCreateSchema)
@blp.response(201, NewTokenSchema)
@links(blp, 201, ["DELETE /api/v1/account/tokens/{token_id}"], {"id": "token_id"})
@errors(blp, 422)
@no_store
def create_token(data):
    """A new API token of the caller; its value is in this answer only."""
    token, clear = operations.create_api_token(
        current_user,
        data["name"],
        expires_in_days=data.get("expires_in_days"),
        read_only=data.get("read_only", False),
        not_after=g.api_token.expires_at,
    )
    return {**{name: getattr(token, name) for name in TokenSchema().fields}, "token": clear}


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@blp.response(200, TokenSchema)
@errors(blp, 404, 409)
def revoke_token(token_id):
    """Revoke one of the caller's tokens (409 if it already is)."""
    token = load_api_token(token_id)
    return operations.revoke_api_token(token)
