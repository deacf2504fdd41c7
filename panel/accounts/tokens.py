"""Random one-time and bearer tokens: shown once, stored as SHA-256 digests only."""

import hashlib
import secrets

from flask import Request
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager

from panel.accounts.models import ApiToken, User
from panel.core.models import utcnow
from panel.extensions import db

TOKEN_PREFIX = "pnl_"  # noqa: S105  # nosec B105  # a marker, not a secret


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough; no salt or stretching needed.
    return hashlib.sha256(token.encode()).hexdigest()


def token_for_bearer(header: str):
    """The valid API token of an enabled user behind an `Authorization: Bearer` header, or
    None: one query, which loads the token's user too."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return db.session.scalar(
        select(ApiToken)
        .join(ApiToken.user)
        .options(contains_eager(ApiToken.user))
        .where(
            ApiToken.token_hash == digest(token.strip()),
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > utcnow()),
            User.is_enabled,
        )
    )


def mark_used(api_token) -> None:
    api_token.last_used_at = utcnow()
    db.session.commit()


def user_for_bearer(header: str):
    """The user of a valid bearer token, or None; marks the token used."""
    api_token = token_for_bearer(header)
    if api_token is None:
        return None
    user = api_token.user
    mark_used(api_token)
    return user


def admin_bearer(request: Request) -> bool:
    """Whether the request carries a valid token of an admin, who may read /metrics from any
    address."""
    user = user_for_bearer(request.headers.get("Authorization", ""))
    return user is not None and user.is_admin
