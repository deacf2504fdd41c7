"""The caller's own account and API tokens."""

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from panel.accounts import operations
from panel.accounts.models import ApiToken
from panel.api.pagination import page_of
from panel.api.schemas import errors
from panel.core.access import require_view
from panel.extensions import db

blp = Blueprint("api_account", __name__, url_prefix="/api/v1/account", description="Own account")


class AccountSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.String(dump_only=True)
    display_name = fields.String(validate=validate.Length(max=120))
    role = fields.String(dump_only=True)
    locale = fields.String(allow_none=True, validate=validate.OneOf(["de", "en"]))
    member_id = fields.Integer(dump_only=True, allow_none=True)
    totp_enabled = fields.Boolean(dump_only=True)
    last_login_at = fields.DateTime(dump_only=True, allow_none=True)


class TokenSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    prefix = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    last_used_at = fields.DateTime(dump_only=True, allow_none=True)
    revoked_at = fields.DateTime(dump_only=True, allow_none=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(dump_only=True, metadata={"description": "Shown once, never again."})


@blp.route("")
@blp.response(200, AccountSchema)
@errors(blp)
def get_account():
    return current_user


@blp.route("", methods=["PATCH"])
@blp.arguments(AccountSchema)
@blp.response(200, AccountSchema)
@errors(blp, 422)
def patch_account(data):
    return operations.update_account(
        current_user, display_name=data.get("display_name"), locale=data.get("locale")
    )


@blp.route("/tokens")
@blp.response(200, TokenSchema(many=True))
@blp.paginate()
@errors(blp)
def list_tokens(pagination_parameters):
    stmt = select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id)
    return page_of(stmt, pagination_parameters)


@blp.route("/tokens", methods=["POST"])
@blp.arguments(TokenSchema)
@blp.response(201, NewTokenSchema)
@errors(blp, 422)
def create_token(data):
    token, clear = operations.create_api_token(current_user, data["name"])
    return {**NewTokenSchema().dump(token), "token": clear}


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@blp.response(200, TokenSchema)
@errors(blp, 404, 409)
def revoke_token(token_id):
    token = require_view(db.session.get(ApiToken, token_id))
    return operations.revoke_api_token(token)
