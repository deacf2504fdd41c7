"""Password hashing with argon2id and the password policy."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l

_hasher = PasswordHasher()
MIN_LENGTH = 12
MAX_LENGTH = 256
# Verifying against this keeps the time of a login for an unknown account like a known one. Made
# once with _hasher's parameters (a test keeps them equal) rather than at every start of the
# panel, where hashing costs each command 0.13 s of CPU.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$FKo0U5hmrrK/qpI6SGjOyA$"
    "ZcjViepg+hEE31hBMcmxSanL8HPvdzuw5Vc7j6qJXEE"
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable (translated when shown), or None."""
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(count)s characters.", count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(count)s characters.", count=MAX_LENGTH)
    if password.strip() != password or not password.isprintable():
        return _l("No leading or trailing spaces or control characters.")
    return None
