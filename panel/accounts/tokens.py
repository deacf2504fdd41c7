"""Random one-time and bearer tokens: shown once, stored as SHA-256 digests only."""

import hashlib
import secrets
from datetime import timedelta

from flask import Request, current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

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
    """Record the token's use, at most once every LAST_USE_WRITE_SECONDS: a call within that time
    writes nothing. The loaded token and user stay loaded, so the request reads them no more."""
    now = utcnow()
    since = now - timedelta(seconds=current_app.config["LAST_USE_WRITE_SECONDS"])
    if api_token.last_used_at is not None and api_token.last_used_at >= since:
        return
    # The condition again in the UPDATE: of concurrent calls with the same token, one writes.
    touched = db.session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == api_token.id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < since),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    _commit_keeping_loaded()
    if touched.rowcount:
        set_committed_value(api_token, "last_used_at", now)


def _commit_keeping_loaded() -> None:
    """Commit without expiring what the session holds (a commit expires it by default, and
    every later attribute access would select it again)."""
    session = db.session()
    expiring = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expiring


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
