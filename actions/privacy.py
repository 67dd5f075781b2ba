""""Delete my data": asked for in plain words at any point, confirmed once, then done everywhere.

The handoff service erases its records (handoffs, bookings, notes, contact details) and then has
Rasa delete this conversation's tracker events (bot/privacy.py), keeping only anonymous counts.
Recognised by words, not a learned intent: the request is rare, its phrasings are few, and a
false "yes" is guarded by the confirmation.
"""
from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from actions import booking
from actions.handoff_client import HandoffClient, HandoffRejected, HandoffUnavailable

if TYPE_CHECKING:
    from actions.conversation import Conversation

logger = logging.getLogger(__name__)

CONFIRM_ERASE = "erase_confirm"

_DATA = (r"(data|details|info|information|conversation|chat|messages|records?|personal \w+|"
         r"everything|all of it|what i(?:'ve| have)? (?:said|told you|wrote))")
ASKS_TO_ERASE = re.compile(
    r"\b(?:delete|erase|remove|wipe|destroy|get rid of|clear)\b[^.!?]{0,25}?\b(?:my|me|all|this|"
    r"everything|the)\b[^.!?]{0,12}?\b" + _DATA
    + r"|\bforget (?:about )?(?:me|everything|all (?:about me|of it|i said|i told you))\b"
    + r"|\bright to (?:be forgotten|erasure)\b"
    + r"|\b(?:delete|erase|wipe) (?:it all|everything|all)\b"
    + r"|\bmy (?:data|details|info|information|records?|conversation|chat|messages)\b[^.!?]{0,15}"
      r"\b(?:deleted|erased|removed|wiped)\b",
    re.I,
)
# "I deleted the messages", "did you delete my data?" are not requests; "don't delete" neither
NOT_A_REQUEST = re.compile(r"\b(?:don'?t|do not|dont|never|didn'?t|did you|have you|if i)\b[^.!?]{0,12}"
                           r"\b(?:delete|erase|remove|wipe|forget)", re.I)


# DIET's erase_my_data class widens the words ("take my name off everything", "gdpr request")
# but only when sure: the request is confirmed once anyway, and a wrong guess costs a detour.
LEARNED_REQUEST_CONFIDENCE = 0.8


def asks_to_erase(text: str, intent: str = "", confidence: float = 0.0) -> bool:
    learned = intent == "erase_my_data" and confidence >= LEARNED_REQUEST_CONFIDENCE
    return (learned or bool(ASKS_TO_ERASE.search(text or ""))) and not NOT_A_REQUEST.search(text or "")


def ask_to_confirm(turn: "Conversation") -> None:
    """Say what will go, and ask once. The stage they were at is kept if they change their mind."""
    if turn.stage != CONFIRM_ERASE:
        # back after a break, the stage to return to is the one they had paused at
        resuming = turn.stage == "resume" and turn.slot("paused_stage")
        turn.set("stage_before_erase", resuming or turn.stage)
    turn.move_to(CONFIRM_ERASE)
    booked = turn.slot("booking")
    if booked:
        turn.say("utter_confirm_erase_with_booking", worker_name=booking.first_name(booked))
    else:
        turn.say("utter_confirm_erase")


async def on_confirm(turn: "Conversation") -> bool:
    """True when the data was erased (the caller then resets everything)."""
    from actions import triage

    if turn.message.intent == "affirm":
        try:
            receipt = await HandoffClient().erase(turn.tracker.sender_id)
        except (HandoffUnavailable, HandoffRejected) as error:
            logger.error("erasure request not delivered for a conversation: %s", error)
            turn.say("utter_erase_failed")
            turn.move_to(turn.slot("stage_before_erase") or triage.NEW)
            return False
        logger.info("erasure requested for a conversation: %s", receipt.get("erased") or receipt)
        turn.say("utter_erased")
        return True
    if turn.message.intent in ("deny", "skip", "nothing_else") or turn.reprompted_enough():
        turn.say("utter_erase_kept")
        turn.move_to(turn.slot("stage_before_erase") or triage.NEW)
        await triage.ask_again(turn)
        return False
    turn.say("utter_confirm_erase_yes_or_no")
    return False
