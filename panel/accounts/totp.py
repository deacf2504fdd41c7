"""TOTP (RFC 6238) second factor and recovery codes."""

import hmac
import io
import secrets
import time

import pyotp
import segno

ISSUER = "Cooperative panel"
RECOVERY_CODE_COUNT = 10
# Base32 without padding: no 0, 1, 8 or 9 to mistake for O, I or B.
RECOVERY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
# The selector finds a code's row and is stored in clear; the 16 characters after it (80 bits)
# are the secret part, stored as an argon2 hash.
SELECTOR_LENGTH = 4
RECOVERY_SECRET_LENGTH = 16
GROUP = 4


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as inline SVG, rendered here so no image comes from elsewhere."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=4, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


def matching_step(secret: str, code: str) -> int | None:
    """The time step whose code this is: the current one, or one next to it (phone clocks
    drift), the newest first; None if the code belongs to none of them."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    otp = pyotp.TOTP(secret)
    now = int(time.time()) // otp.interval
    for step in (now + 1, now, now - 1):
        if hmac.compare_digest(code, otp.generate_otp(step)):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Codes of 20 base32 characters in groups of four, each with a selector of its own."""
    codes: dict[str, str] = {}
    while len(codes) < RECOVERY_CODE_COUNT:
        raw = "".join(
            secrets.choice(RECOVERY_ALPHABET)
            for _ in range(SELECTOR_LENGTH + RECOVERY_SECRET_LENGTH)
        )
        codes.setdefault(raw[:SELECTOR_LENGTH], raw)
    return [
        "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP)) for raw in codes.values()
    ]


def split_recovery_code(code: str) -> tuple[str, str] | None:
    """Selector and secret part of a code as typed (any case, with or without dashes and
    spaces), or None if it is not one of this kind."""
    raw = "".join(code.replace("-", " ").split()).upper()
    if len(raw) != SELECTOR_LENGTH + RECOVERY_SECRET_LENGTH or set(raw) - set(RECOVERY_ALPHABET):
        return None
    return raw[:SELECTOR_LENGTH], raw[SELECTOR_LENGTH:]


def legacy_recovery_code(code: str) -> str:
    """A code of the older kind (three groups of hex digits) as its digest was taken."""
    return "".join(code.lower().split())
