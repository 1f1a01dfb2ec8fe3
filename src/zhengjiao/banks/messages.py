"""The messages every simulated bank (party ``bank:<code>``) handles; each answers through exchange."""

from __future__ import annotations

from django.utils import timezone

from zhengjiao.banks import operations
from zhengjiao.exchange.handlers import Received, handles

# Message type → the operation that acts on it; those answering the sender get ``sender``.
_ACTIONS = {
    "account_inquiry": (operations.answer_account_inquiry, True),
    "transfer_order": (operations.execute_transfer_order, True),
    "payment_instruction": (operations.execute_payment_instruction, False),
}


def on_bank_message(message: Received) -> None:
    """Route a message to the bank it was sent to (``bank:102`` → bank code ``102``)."""
    action, answers_sender = _ACTIONS[message.type]
    extra = {"sender": message.sender} if answers_sender else {}
    action(
        bank_code=message.receiver.split(":", 1)[1],
        message_id=message.message_id,
        payload=message.payload,
        now=timezone.now(),
        **extra,
    )


for _code in operations.BANK_CODES:
    for _type in _ACTIONS:
        handles(_type, party=f"bank:{_code}")(on_bank_message)
