"""The member's logins in its data export: who they are and how they sign in, never a password
hash, second-factor secret, recovery code or token hash."""

from sqlalchemy import select

from panel.accounts.models import ApiToken, User
from panel.core.export import fields_of
from panel.extensions import db

USER_FIELDS = (
    "id",
    "email",
    "display_name",
    "role",
    "locale",
    "timezone",
    "is_enabled",
    "totp_enabled",
    "totp_enabled_at",
    "created_at",
    "last_login_at",
)
TOKEN_FIELDS = (
    "id",
    "name",
    "prefix",
    "read_only",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
)


def accounts_part(member) -> dict:
    users = db.session.scalars(
        select(User).where(User.member_id == member.id).order_by(User.id)
    ).all()
    own = ApiToken.user_id.in_([user.id for user in users])
    tokens = db.session.scalars(select(ApiToken).where(own).order_by(ApiToken.id)).all()
    return {
        "users.json": [fields_of(user, USER_FIELDS) for user in users],
        "api_tokens.json": [
            {"user_id": token.user_id, **fields_of(token, TOKEN_FIELDS)} for token in tokens
        ],
    }
