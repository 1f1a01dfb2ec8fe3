"""The inbound HTTP endpoint: another deployment POSTs an envelope to ``/exchange/v1/inbox``."""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from zhengjiao.exchange.inbox import receive


@csrf_exempt  # machine-to-machine: authenticated by a bearer token, not a session cookie
@require_POST
def inbox(request: HttpRequest) -> JsonResponse:
    """Authenticate the peer by its bearer token, then ``receive`` the envelope and answer its fate.

    401 ``exchange.unauthorized`` without a known token; 400 ``exchange.malformed`` when the body is
    not JSON; 403 ``exchange.wrong_sender`` when the envelope names another sender than the token's
    party. Otherwise 200 with ``{"status", "message_id", "code", "reason"}`` (a quarantined message
    was received: the sender must not retry it).
    """
    party = _party_of(request.headers.get("Authorization", ""))
    if party is None:
        return _refusal(401, "exchange.unauthorized", "令牌无效", "Unknown or missing bearer token")
    try:
        envelope = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _refusal(400, "exchange.malformed", "请求体不是 JSON", "The request body is not JSON")
    sender = envelope.get("sender") if isinstance(envelope, dict) else None
    if isinstance(sender, dict) and sender.get("party") != party:
        return _refusal(
            403, "exchange.wrong_sender", "令牌与报文发送方不符", "The token belongs to another sender"
        )
    return JsonResponse(receive(envelope, transport="http").as_dict())


def _party_of(authorization: str) -> str | None:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    tokens = getattr(settings, "ZJ_EXCHANGE_INBOUND_TOKENS", None) or {}
    found = None
    for known, party in tokens.items():
        # Compare with every configured token, in constant time each, so timing tells nothing.
        if hmac.compare_digest(known.encode("utf-8"), token.encode("utf-8")):
            found = party
    return found


def _refusal(status: int, code: str, message_zh: str, message_en: str) -> JsonResponse:
    return JsonResponse(
        {"status": "refused", "code": code, "message": f"{message_zh} / {message_en}"}, status=status
    )
