"""Random one-time and bearer tokens: shown once, stored as SHA-256 digests only."""

import hashlib
import secrets

from sqlalchemy import select

from panel.core.models import utcnow

TOKEN_PREFIX = "pnl_"  # noqa: S105  # nosec B105  # a marker, not a secret


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough; no salt or stretching needed.
    return hashlib.sha256(token.encode()).hexdigest()


def user_for_bearer(header: str):
    """The enabled user behind an `Authorization: Bearer` header, or None; marks the token used."""
    from panel.accounts.models import ApiToken, User
    from panel.extensions import db

    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    api_token = db.session.scalar(
        select(ApiToken)
        .join(User)
        .where(ApiToken.token_hash == digest(token.strip()), ApiToken.revoked_at.is_(None))
    )
    if api_token is None or not api_token.user.is_enabled:
        return None
    api_token.last_used_at = utcnow()
    db.session.commit()
    return api_token.user
