"""Helpers every collection operation shares: who may act, and the actor's user id."""

from __future__ import annotations

from zhengjiao.accounts.scoping import Scope, require_department, scope_of
from zhengjiao.collection.models import TaxPayer
from zhengjiao.core.errors import NotFound


def require_officer(actor, action: str, *departments: str) -> Scope | None:
    """The actor's scope after checking its department (default: tax); ``None`` for the system.

    Call it before opening a transaction: a refusal records a durable ``access.denied`` event.
    """
    if actor is None:
        return None
    scope = actor if isinstance(actor, Scope) else scope_of(actor)
    require_department(scope, *(departments or ("tax",)), action=action)
    return scope


def user_id(actor) -> int | None:
    if actor is None:
        return None
    return actor.user_id if isinstance(actor, Scope) else actor.pk


def payer_in_reach(payer_key: str, scope: Scope | None) -> TaxPayer:
    """The payer with this key, if the scope covers its region (``collection.unknown_payer`` else)."""
    payer = TaxPayer.objects.filter(payer_key=payer_key.strip().upper()).first()
    if payer is None or (scope is not None and not scope.covers_region(payer.region_code)):
        raise NotFound(
            "collection.unknown_payer",
            f"找不到缴费人 {payer_key}（或不在您的辖区）",
            f"No payer {payer_key} (or outside your region)",
            field="payer_key",
        )
    return payer
