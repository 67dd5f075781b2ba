"""The conversation action: one gentle step at a time, chosen from the stage in `triage_stage`.

Domain needs: slots triage_stage, consent, presenting_issue, needs, in_their_words, risks,
offered_worker, offered_slots, booking, handoff_id, reprompts, service_phone; the utter_* responses
named in this module. Safety is not here: risk intents are answered by rules before this runs.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import booking, safeguarding
from actions.resident import Message
from bot.taxonomy import NEED_LABELS

logger = logging.getLogger(__name__)

NEW, CONSENT, PRESENTING, STORY, OFFER, BOOKED = (
    "new", "consent", "presenting", "story", "offer", "booked")
MAX_REPROMPTS = 1  # a question is asked at most twice, never a third time


class Conversation:
    """One turn of the conversation: reads the tracker, utters responses, collects slot events."""

    def __init__(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        self.dispatcher = dispatcher
        self.tracker = tracker
        self.message = Message.latest(tracker)
        self.events: List[EventType] = []
        self._slots: Dict[str, Any] = {}

    def slot(self, name: str) -> Any:
        return self._slots[name] if name in self._slots else self.tracker.get_slot(name)

    def set(self, name: str, value: Any) -> None:
        self._slots[name] = value
        self.events.append(SlotSet(name, value))

    def say(self, response: str, **kwargs: Any) -> None:
        self.dispatcher.utter_message(response=response, **kwargs)

    def absorb(self) -> None:
        """Keep what this message tells us: presenting issue, needs, and a short quote."""
        issue = self.message.presenting_issue
        if issue and not self.slot("presenting_issue"):
            self.set("presenting_issue", issue)
        needs = list(self.slot("needs") or [])
        new = [n for n in self.message.needs if n not in needs]
        if new:
            self.set("needs", needs + new)
        quote = self.message.quote()
        if quote and self.slot("consent") is not False:
            self.set("in_their_words", list(self.slot("in_their_words") or []) + [quote])

    def move_to(self, stage: str) -> None:
        self.set("triage_stage", stage)
        self.set("reprompts", 0)

    def reprompted_enough(self) -> bool:
        count = int(self.slot("reprompts") or 0)
        if count >= MAX_REPROMPTS:
            return True
        self.set("reprompts", count + 1)
        return False


class ActionConverse(Action):
    def name(self) -> str:
        return "action_converse"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[EventType]:
        turn = Conversation(dispatcher, tracker)
        stage = tracker.get_slot("triage_stage") or NEW
        intent = turn.message.intent
        if safeguarding.answering_callback_offer(tracker) and intent in ("affirm", "deny", "skip"):
            if intent == "affirm":
                delivered = await safeguarding.alert_duty_worker(turn, callback_requested=True)
                turn.say("utter_callback_confirmed" if delivered else "utter_callback_not_delivered")
            turn.say("utter_carry_on")
            await self._ask_again(turn, stage)
        elif intent == "bot_challenge":
            turn.say("utter_bot_challenge")
            await self._ask_again(turn, stage)
        elif intent == "goodbye" and stage in (NEW, BOOKED):
            turn.say("utter_goodbye")
        elif intent == "request_human" and stage in (NEW, CONSENT, PRESENTING, STORY):
            # straight to booking with what is known; no more questions
            turn.absorb()
            await booking.offer(turn)
        else:
            await HANDLERS[stage](turn)
        return turn.events

    async def _ask_again(self, turn: Conversation, stage: str) -> None:
        if stage == NEW:
            await on_new(turn)
        elif stage == CONSENT:
            turn.say("utter_ask_consent")
        elif stage == PRESENTING:
            turn.say("utter_ask_presenting_issue")
        elif stage == STORY:
            turn.say("utter_ask_story")
        elif stage == OFFER:
            booking.ask_for_time(turn)
        elif stage == BOOKED:
            await on_booked(turn)


async def on_new(turn: Conversation) -> None:
    turn.absorb()
    turn.say("utter_welcome")
    turn.say("utter_ask_consent")
    turn.move_to(CONSENT)


async def on_consent(turn: Conversation) -> None:
    intent = turn.message.intent
    if intent == "affirm":
        turn.set("consent", True)
        turn.say("utter_consent_given")
    elif intent in ("deny", "skip") or turn.reprompted_enough():
        # unclear twice counts as no: we never keep words without a clear yes
        turn.set("consent", False)
        turn.set("in_their_words", None)
        turn.say("utter_consent_declined")
        turn.absorb()
    else:
        turn.absorb()
        turn.say("utter_ask_consent")
        return
    if turn.slot("presenting_issue"):
        turn.say("utter_ask_story")
        turn.move_to(STORY)
    else:
        turn.say("utter_ask_presenting_issue")
        turn.move_to(PRESENTING)


async def on_presenting(turn: Conversation) -> None:
    turn.absorb()
    if not turn.slot("presenting_issue"):
        turn.set("presenting_issue", "other")
    turn.say("utter_ask_story")
    turn.move_to(STORY)


async def on_story(turn: Conversation) -> None:
    turn.absorb()
    needs = turn.slot("needs") or []
    if needs:
        heard = _plain_list([NEED_LABELS[n].split(",")[0].split(" (")[0] for n in needs])
        turn.say("utter_reflect_needs", needs_heard=heard)
    elif turn.message.tells_something:
        turn.say("utter_reflect_nothing_specific")
    await booking.offer(turn)


async def on_offer(turn: Conversation) -> None:
    await booking.choose(turn)


async def on_booked(turn: Conversation) -> None:
    turn.absorb()
    booked: Optional[Dict[str, Any]] = turn.slot("booking")
    if booked:
        turn.say("utter_already_booked", worker_name=booked["worker"]["name"],
                 appointment_time=booking.when(booked["start"]))


def _plain_list(items: List[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


HANDLERS = {NEW: on_new, CONSENT: on_consent, PRESENTING: on_presenting, STORY: on_story,
            OFFER: on_offer, BOOKED: on_booked}
