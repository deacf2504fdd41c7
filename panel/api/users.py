"""Accounts kept for someone: admins keep every account, a reseller its customers'."""

from flask_login import current_user
from marshmallow import Schema, fields, validate

from panel.accounts import management, operations
from panel.accounts.loaders import load_account, managed_accounts
from panel.api.base import ApiBlueprint
from panel.api.links import links
from panel.api.pagination import page_of
from panel.api.schemas import Email, Flag, Id, InputSchema, Text, UtcDateTime, errors
from panel.core.errors import ValidationFailed
from panel.core.headers import no_store
from panel.core.roles import ROLE_VALUES, Role
from panel.core.validators import clean_text

blp = ApiBlueprint("api_users", __name__, url_prefix="/api/v1/users", description="Accounts")
KEEPERS = (Role.ADMIN, Role.RESELLER)
USER_OPERATIONS = (
    "GET /api/v1/users/{login_id}",
    "PATCH /api/v1/users/{login_id}",
    "DELETE /api/v1/users/{login_id}",
    "POST /api/v1/users/{login_id}/password-link",
    "POST /api/v1/users/{login_id}/second-factor/reset",
)


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    role = fields.String(metadata={"enum": list(ROLE_VALUES)})
    name = fields.String(attribute="display_name")
    contact = fields.String()
    disabled = fields.Boolean()
    reseller_id = fields.Integer(allow_none=True, metadata={"description": "a customer's"})
    member_id = fields.Integer(allow_none=True)
    password_set = fields.Boolean()
    totp_enabled = fields.Boolean()
    last_login_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


class PasswordLinkSchema(Schema):
    password_link = fields.String(
        allow_none=True,
        metadata={
            "description": "Without a mail server (PANEL_SMTP_URL): the one-time link for the "
            "person to set a password, in this answer only. null when it was mailed or no "
            "password is needed."
        },
    )
    password_mailed = fields.Boolean(metadata={"description": "whether the link went out by mail"})


class NewUserSchema(UserSchema, PasswordLinkSchema):
    pass


class UserCreateSchema(InputSchema):
    email = Email(required=True)
    role = fields.String(
        required=True,
        validate=validate.OneOf(list(ROLE_VALUES)),
        metadata={"description": "a reseller creates customers only"},
    )
    name = Text(max_length=120)
    contact = Text(max_length=operations.CONTACT_LENGTH, multiline=True)
    password = fields.String(
        validate=validate.Length(max=256),
        metadata={"description": "without one, the person sets it through a one-time link"},
    )
    reseller_id = Id(metadata={"description": "admins: the reseller a new customer belongs to"})


class UserUpdateSchema(InputSchema):
    email = Email()
    name = Text(max_length=120)
    contact = Text(max_length=operations.CONTACT_LENGTH, multiline=True)
    role = fields.String(
        validate=validate.OneOf(list(management.SWAPPABLE_ROLES)),
        metadata={"description": "admins: member or reseller (not while it has customers)"},
    )
    disabled = Flag(
        metadata={"description": "true ends the account's sessions and revokes its tokens"}
    )


class UserQuerySchema(Schema):
    q = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "part of the address or the name"},
    )
    role = fields.String(validate=validate.OneOf(list(ROLE_VALUES)))


@blp.route("", roles=KEEPERS)
@blp.arguments(UserQuerySchema, location="query")
@blp.response(200, UserSchema(many=True))
@blp.paginate()
@errors(blp, 422)
def list_users(query, pagination_parameters):
    """Every account for admins; a reseller's customers for the reseller."""
    search = clean_text("q", query.get("q"), max_length=100, required=False)
    return page_of(managed_accounts(search, query.get("role", "")), pagination_parameters)


@blp.route("", methods=["POST"], roles=KEEPERS)
@blp.arguments(UserCreateSchema)
@blp.response(201, NewUserSchema)
@links(blp, 201, USER_OPERATIONS, {"id": "login_id"})
@errors(blp, 409, 422)
@no_store
def create_user(data):
    """A new account (admins: any role; resellers: `"role": "customer"` only)."""
    user, link = management.create_account(
        current_user,
        data["email"],
        data["role"],
        display_name=data.get("name", ""),
        contact=data.get("contact", ""),
        password=data.get("password"),
        reseller=data.get("reseller_id"),
    )
    return _with_link(user, link)


def _with_link(user, link: management.PasswordLink | None) -> dict:
    """The new account's values, as the response schema reads them, and its password link."""
    attributes = [field.attribute or name for name, field in UserSchema().dump_fields.items()]
    return {
        **{attribute: getattr(user, attribute) for attribute in attributes},
        "password_link": link.link if link else None,
        "password_mailed": bool(link and link.mailed),
    }


@blp.route("/<int:login_id>", roles=KEEPERS)
@blp.response(200, UserSchema)
@errors(blp, 404)
def get_user(login_id):
    return load_account(login_id)


@blp.route("/<int:login_id>", methods=["PATCH"], roles=KEEPERS)
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
@errors(blp, 404, 409, 422)
def update_user(data, login_id):
    """Change the login address, name or contact; an admin also the role; disable or enable."""
    account = load_account(login_id)
    if "role" in data and current_user.role != Role.ADMIN:
        raise ValidationFailed.field("role", "Only admins change roles.")
    renamed = {"name": "display_name"}
    return management.edit_account(
        account, {renamed.get(name, name): value for name, value in data.items()}
    )


@blp.route("/<int:login_id>", methods=["DELETE"], roles=KEEPERS)
@blp.response(204)
@errors(blp, 404, 409)
def delete_user(login_id):
    """Delete a customer's account (other accounts are disabled instead)."""
    management.delete_account(load_account(login_id))


@blp.route("/<int:login_id>/password-link", methods=["POST"], roles=KEEPERS)
@blp.response(200, PasswordLinkSchema)
@errors(blp, 404)
@no_store
def password_link(login_id):
    """A one-time link for the person to set a password: mailed, or (without a mail server) in
    this answer only."""
    link = management.offer_password_link(load_account(login_id))
    return {"password_link": link.link, "password_mailed": link.mailed}


@blp.route("/<int:login_id>/second-factor/reset", methods=["POST"], roles=[Role.ADMIN])
@blp.response(200, UserSchema)
@errors(blp, 404, 409)
def reset_second_factor(login_id):
    """Turn off the account's second factor and end its sessions (admins)."""
    return management.reset_second_factor(load_account(login_id))
