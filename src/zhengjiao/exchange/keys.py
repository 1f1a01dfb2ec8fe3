"""Signing keys per party pair, from settings (rotatable) or derived from ``SECRET_KEY``.

``settings.ZJ_EXCHANGE_KEYS`` maps a sorted party pair ``"agency|tax"`` to ``{key_id: secret}``;
``settings.ZJ_EXCHANGE_SIGNING_KEY_ID`` names the key new messages are signed with. To rotate, add
the new key beside the old, switch the signing key id, and remove the old key once no message signed
with it is still in flight: until then both verify. A pair with no configured keys uses a key derived
from ``SECRET_KEY``, the pair and the signing key id (one deployment hosting every side shares that
secret, so it needs no configuration).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from zhengjiao.exchange.rules import derive_pair_key, party_pair

DEFAULT_SIGNING_KEY_ID = "k1"


def signing_key_id() -> str:
    return getattr(settings, "ZJ_EXCHANGE_SIGNING_KEY_ID", None) or DEFAULT_SIGNING_KEY_ID


def signing_key(party_a: str, party_b: str) -> tuple[str, bytes]:
    """The (key id, key) a message between the two parties is signed with now."""
    key_id = signing_key_id()
    configured = _configured(party_a, party_b)
    if configured is None:
        return key_id, derive_pair_key(settings.SECRET_KEY, party_pair(party_a, party_b), key_id)
    if key_id not in configured:
        raise ImproperlyConfigured(
            f"ZJ_EXCHANGE_KEYS[{party_pair(party_a, party_b)!r}] has no key {key_id!r} "
            "(ZJ_EXCHANGE_SIGNING_KEY_ID)"
        )
    return key_id, configured[key_id]


def verification_keys(party_a: str, party_b: str) -> list[tuple[str, bytes]]:
    """Every (key id, key) a message between the two parties may be signed with: all configured keys
    of the pair, or the derived key of the signing key id when none are configured."""
    configured = _configured(party_a, party_b)
    if configured is None:
        return [signing_key(party_a, party_b)]
    return list(configured.items())


def _configured(party_a: str, party_b: str) -> dict[str, bytes] | None:
    keys = getattr(settings, "ZJ_EXCHANGE_KEYS", None) or {}
    pair_keys = keys.get(party_pair(party_a, party_b))
    if not pair_keys:
        return None
    if not isinstance(pair_keys, dict) or not all(
        isinstance(key_id, str) and isinstance(secret, str) and secret for key_id, secret in pair_keys.items()
    ):
        raise ImproperlyConfigured(
            f"ZJ_EXCHANGE_KEYS[{party_pair(party_a, party_b)!r}] must map key ids to non-empty secrets"
        )
    return {key_id: secret.encode("utf-8") for key_id, secret in pair_keys.items()}
