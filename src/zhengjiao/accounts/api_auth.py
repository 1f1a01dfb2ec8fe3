"""Authentication for the JSON API: ``Authorization: Bearer zj_…`` tokens, or the web session.

Use ``auth=api_auth`` on routers and operations; ``request.auth`` (and ``request.user``) is the ``User``.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from zhengjiao.accounts.http import client_ip
from zhengjiao.accounts.models import User
from zhengjiao.accounts.operations import use_token
from zhengjiao.accounts.second_factor import pending_second_factor


class BearerTokenAuth(HttpBearer):
    """An API token: found by its hash; refused (and audited as ``api.token_refused``) when malformed,
    unknown, revoked, expired or belonging to an inactive user."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = use_token(plaintext=token, ip=client_ip(request))
        if user is not None:
            request.user = user
        return user


class SecondFactorSessionAuth(SessionAuth):
    """Django's session (CSRF checked on unsafe methods), accepted only once its second factor is done:
    the second-factor middleware lets ``/api/`` through, so the check is repeated here."""

    def _get_key(self, request: HttpRequest) -> str | None:
        # No session cookie: nothing to check, and no CSRF refusal to mask a bearer token's refusal.
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        if key is None:
            return None
        user = super().authenticate(request, key)
        if user is None or pending_second_factor(request) is not None:
            return None
        return user


api_auth = [BearerTokenAuth(), SecondFactorSessionAuth()]
