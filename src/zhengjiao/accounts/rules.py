"""Pure helpers for API tokens and TOTP codes (no Django, CONVENTIONS rule 2)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp

TOKEN_PREFIX_LENGTH = 8
_TOKEN_RE = re.compile(r"^zj_(?P<prefix>[0-9a-f]{8})_(?P<secret>[A-Za-z0-9_-]{43})$")

TOTP_DIGITS = 6
TOTP_INTERVAL_SECONDS = 30
# Accept the previous and the next 30-second step: phones drift, people type slowly (RFC 6238 §5.2).
TOTP_VALID_WINDOW = 1


def generate_token() -> tuple[str, str]:
    """A new API token as ``(prefix, plaintext)``; ``plaintext`` is ``zj_<prefix>_<43 url-safe chars>``.

    The prefix identifies the token in listings; only the SHA-256 of the whole plaintext is stored.
    """
    prefix = secrets.token_hex(TOKEN_PREFIX_LENGTH // 2)
    return prefix, f"zj_{prefix}_{secrets.token_urlsafe(32)}"


def hash_token(plaintext: str) -> str:
    """SHA-256 hex of the token: tokens carry 256 random bits, so a fast unsalted hash suffices."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def token_prefix(plaintext: str) -> str | None:
    """The prefix of a well-formed token, or ``None`` when the text is not shaped like one of ours."""
    match = _TOKEN_RE.match(plaintext)
    return match.group("prefix") if match else None


def generate_totp_secret() -> str:
    return pyotp.random_base32()


def totp_provisioning_uri(secret: str, *, account_name: str, issuer: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (as a QR code or typed in)."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def totp_code_at(secret: str, *, now: datetime) -> str:
    """The code an authenticator shows at ``now`` (used by tests and by nothing else)."""
    return pyotp.TOTP(secret).at(now)


def totp_matching_step(secret: str, code: str, *, now: datetime) -> int | None:
    """The time step (RFC 6238 counter) whose code equals ``code`` within the window, else ``None``.

    Returning the step lets the caller refuse a code that was already used (replay).
    """
    code = code.strip().replace(" ", "")
    if not secret or len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for offset in range(-TOTP_VALID_WINDOW, TOTP_VALID_WINDOW + 1):
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            return current + offset
    return None
