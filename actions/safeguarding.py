"""After a risk response (sent by rules from the domain): mark the handoff urgent, tell the duty
worker, and keep what the message said. Says nothing itself, so its failure costs the resident
nothing they need in that moment."""
from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import Conversation
from actions.handoff_client import HandoffClient, HandoffRejected, HandoffUnavailable
from actions.resident import identity

logger = logging.getLogger(__name__)
CALLBACK_OFFER = "utter_offer_urgent_callback"


class ActionRaiseUrgent(Action):
    def name(self) -> str:
        return "action_raise_urgent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[EventType]:
        turn = Conversation(dispatcher, tracker)
        turn.absorb()
        await raise_urgent(turn, turn.message.risks)
        return turn.events


async def raise_urgent(turn: Conversation, risks: List[str]) -> bool:
    """Keep these risks with the conversation's others and tell the duty worker. False if the
    handoff service could not be reached."""
    known = list(turn.slot("risks") or [])
    new = [r for r in risks if r not in known]
    if new:
        turn.set("risks", known + new)
    return await alert_duty_worker(turn, callback_requested=False)


async def alert_duty_worker(turn: Conversation, callback_requested: bool) -> bool:
    """Tell the handoff service (which knows who is on duty). False if it could not be reached."""
    who = identity(turn.tracker)
    try:
        raised = await HandoffClient().raise_urgent({
            "conversation_id": turn.tracker.sender_id,
            "channel": who["channel"],
            "risks": turn.slot("risks") or [],
            "callback_requested": callback_requested,
            "resident": {"identity": who["identity"], "preferred_contact": who["channel"]},
        })
        if not turn.slot("handoff_id") and raised.get("handoff_id") is not None:
            # the alert opened this conversation's handoff: the summary completes that one
            turn.set("handoff_id", str(raised["handoff_id"]))
        return True
    except (HandoffUnavailable, HandoffRejected) as error:
        logger.error("urgent alert not delivered for a conversation: %s", error)
        return False


def answering_callback_offer(tracker: Tracker) -> bool:
    """Whether the bot's last words were the offer of an urgent call-back."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            return (event.get("metadata") or {}).get("utter_action") == CALLBACK_OFFER
    return False
