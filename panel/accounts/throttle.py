"""Growing delays per account after failed attempts at its password or second factor.

A delay slows a guesser down without locking the person out: it is capped at a few minutes,
a correct attempt or a password reset clears it, and a browser that just set a new password
through a reset link skips it. Attempts are counted before they are checked, so that attempts
sent at the same moment cannot all slip through one opening."""

import math
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from panel.accounts.models import LoginThrottle
from panel.accounts.tokens import digest
from panel.core.errors import Message, PanelError
from panel.core.models import utcnow
from panel.extensions import db

FREE_ATTEMPTS = 3
MAX_DELAY = 300
# A key whose last attempt is this old starts again from nothing (and its row may go).
FORGET_AFTER = timedelta(days=1)
CLAIM_TRIES = 3


class LoginDelayed(PanelError):
    """The account's delay has not passed; nothing was checked."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: Message, seconds: int):
        super().__init__(message)
        self.seconds = seconds


def password_key(email: str) -> str:
    return digest("password:" + email.strip().lower())


def second_factor_key(user_id: int) -> str:
    return digest(f"second-factor:{user_id}")


def delay_after(attempts: int) -> int:
    """Seconds the next attempt waits after this many attempts without success."""
    if attempts < FREE_ATTEMPTS:
        return 0
    return min(2 ** (attempts - FREE_ATTEMPTS + 1), MAX_DELAY)


def claim(key: str) -> int:
    """Count an attempt for the key and return 0, or return the seconds still to wait (and
    count nothing). Committed at once: the count must hold even if the check fails later."""
    for _ in range(CLAIM_TRIES):
        now = utcnow()
        row = db.session.execute(
            select(
                LoginThrottle.attempts, LoginThrottle.not_before, LoginThrottle.last_attempt_at
            ).where(LoginThrottle.key == key)
        ).one_or_none()
        if row is None:
            if _insert_first(key, now):
                return 0
            continue
        fresh = row.last_attempt_at > now - FORGET_AFTER
        if fresh and row.not_before > now:
            return max(1, math.ceil((row.not_before - now).total_seconds()))
        attempts = (row.attempts if fresh else 0) + 1
        # Compare and set: of attempts that read the same count, one goes on.
        counted = db.session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key, LoginThrottle.attempts == row.attempts)
            .values(
                attempts=attempts,
                not_before=now + timedelta(seconds=delay_after(attempts)),
                last_attempt_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if counted:
            return 0
    return 1


def _insert_first(key: str, now) -> bool:
    try:
        with db.session.begin_nested():
            db.session.execute(
                insert(LoginThrottle).values(
                    key=key,
                    attempts=1,
                    not_before=now + timedelta(seconds=delay_after(1)),
                    last_attempt_at=now,
                )
            )
    except IntegrityError:  # the same key's first attempt at the same moment
        return False
    # Keys of made-up addresses would pile up: a new key sweeps out the forgotten ones.
    db.session.execute(
        delete(LoginThrottle)
        .where(LoginThrottle.last_attempt_at < now - FORGET_AFTER)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return True


def clear(*keys: str) -> None:
    """Forget the attempts of these keys (committed with the caller's transaction)."""
    db.session.execute(
        delete(LoginThrottle)
        .where(LoginThrottle.key.in_(keys))
        .execution_options(synchronize_session=False)
    )


def password_delayed(seconds: int) -> LoginDelayed:
    return LoginDelayed(
        _l(
            "Too many failed logins for this account. Wait %(seconds)s seconds and try again, "
            "or set a new password with “Forgot your password?”.",
            seconds=seconds,
        ),
        seconds,
    )


def second_factor_delayed(seconds: int) -> LoginDelayed:
    return LoginDelayed(
        _l("Too many wrong codes. Wait %(seconds)s seconds and try again.", seconds=seconds),
        seconds,
    )
