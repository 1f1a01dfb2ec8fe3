"""The exchange monitor (三方联网报文): pair status, messages, one message, the quarantine and retry.

``exchange.queries`` decides who sees what: every staff department sees counts and message headers;
payloads only province-level staff of hrss, agency, tax, finance and audit, with identity numbers
and bank accounts masked; portal users nothing. ``exchange.operations.retry_quarantined`` decides
who may retry and audits it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from zhengjiao.accounts.scoping import scope_of
from zhengjiao.api.schemas import Input, PageOut, PageQuery, Text, errors, render_page
from zhengjiao.exchange import queries
from zhengjiao.exchange.catalogue import message_types
from zhengjiao.exchange.operations import retry_quarantined

router = Router(tags=["exchange"])


class PairOut(Schema):
    sender: str
    receiver: str
    sent: int
    delivered: int
    pending: int
    failed: int
    received: int
    quarantined: int
    gaps: int = Field(description="sequence numbers missing on arrival and not yet filled")
    last_sent_sequence: int
    last_received_sequence: int


class MessagesQuery(PageQuery):
    box: str = Field("outbox", json_schema_extra={"enum": ["outbox", "inbox"]})
    state: str | None = Field(
        None,
        description="outbox: pending, delivered, failed; inbox: processed, quarantined",
        json_schema_extra={"enum": [*queries.OUTBOX_STATES, *queries.INBOX_STATES]},
    )
    type: str | None = Field(None, json_schema_extra={"enum": sorted(message_types())})
    party: str | None = Field(None, description="sender or receiver, e.g. tax or bank:105")


class MessageOut(Schema):
    box: str
    message_id: str
    type: str
    sender: str
    receiver: str
    sequence: int | None
    state: str
    reason_code: str = Field(description="why a message was quarantined")
    reason: str
    attempts: int
    at: str = Field(description="created (outbox) or received (inbox)")


class MessageDetailOut(Schema):
    message: MessageOut
    payload: dict[str, Any] | None = Field(
        description="masked; null when your department or region may not see payloads"
    )
    envelope: dict[str, Any] = Field(description="the envelope without its payload")
    duplicates: int = Field(description="copies received again and ignored")
    delivered_at: str | None
    next_attempt_at: str | None


class RetryIn(Input):
    reason: Text = Field("", description="what was fixed (audited)")


class RetryOut(Schema):
    status: str = Field(description="processed, duplicate or quarantined (again)")
    message_id: str
    code: str
    reason: str


def render_message(summary: queries.MessageSummary) -> dict:
    return {
        "box": summary.box,
        "message_id": summary.message_id,
        "type": summary.type,
        "sender": summary.sender,
        "receiver": summary.receiver,
        "sequence": summary.sequence,
        "state": summary.state,
        "reason_code": summary.reason_code,
        "reason": summary.reason,
        "attempts": summary.attempts,
        "at": summary.at.isoformat(),
    }


@router.get("/status", response={200: list[PairOut], **errors(401, 403)})
def status(request: HttpRequest):
    """Per (sender, receiver): sent, delivered, pending, failed, received, quarantined, open gaps."""
    return [pair.as_dict() for pair in queries.pair_status(scope=scope_of(request.auth))]


@router.get("/messages", response={200: PageOut[MessageOut], **errors(400, 401, 403)})
def list_messages(request: HttpRequest, filters: Query[MessagesQuery]):
    """Messages of the outbox or the inbox, newest first."""
    page = queries.messages(
        scope=scope_of(request.auth),
        box=filters.box,
        state=filters.state,
        type=filters.type,
        party=filters.party,
        page=filters.page,
        page_size=filters.page_size,
    )
    return render_page(page, render_message)


@router.get("/messages/{message_id}", response={200: MessageDetailOut, **errors(401, 403, 404)})
def get_message(request: HttpRequest, message_id: Text):
    """One message by id: from the inbox if it arrived here, else from the outbox."""
    detail = queries.message(scope=scope_of(request.auth), message_id=message_id)
    return {
        "message": render_message(detail.summary),
        "payload": detail.payload,
        "envelope": detail.envelope_header,
        "duplicates": detail.duplicates,
        "delivered_at": detail.delivered_at.isoformat() if detail.delivered_at else None,
        "next_attempt_at": detail.next_attempt_at.isoformat() if detail.next_attempt_at else None,
    }


@router.get("/quarantine", response={200: PageOut[MessageOut], **errors(401, 403)})
def quarantine(request: HttpRequest, paging: Query[PageQuery]):
    """Inbox messages that failed verification or their handler, newest first."""
    page = queries.quarantine(scope=scope_of(request.auth), page=paging.page, page_size=paging.page_size)
    return render_page(page, render_message)


@router.post("/messages/{message_id}/retry", response={200: RetryOut, **errors(400, 401, 403, 404, 409)})
def retry(request: HttpRequest, message_id: Text, payload: RetryIn):
    """Run a quarantined message's checks and handler again, after a fix. 200 with the outcome:
    ``processed``, or ``quarantined`` again with the new reason."""
    result = retry_quarantined(actor=request.auth, message_id=message_id, reason=payload.reason)
    return result.as_dict()
