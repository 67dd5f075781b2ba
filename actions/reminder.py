"""Appointment reminders, the day before and two hours before.

The handoff service schedules them as durable jobs and, when one is due (and the booking still
stands), runs `action_remind_day_before` or `action_remind_two_hours` in this conversation through
Rasa's API (`POST /conversations/<id>/execute?output_channel=<their channel>`). An action rather
than an external intent: an intent would need a rule, which adds it to the NLU classifier's labels
and so changes the trained model. This action decides whether it is safe to send and says it; on
WhatsApp the channel turns it into the approved template (bot/channels: WHATSAPP_REMINDER_TEMPLATE
/ TWILIO_WHATSAPP_REMINDER_CONTENT_SID).
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import booking, slot

logger = logging.getLogger(__name__)


def then_listen() -> List[EventType]:
    """The reminder's events: a listen, whether the reminder was sent or not.

    Rasa's execute endpoint runs this one action and stops; it does not listen afterwards. Every
    rule (the risk rules too) begins from a listen, so without one the resident's next message
    would match no rule, and RulePolicy's fallback would predict action_converse again after
    itself: ten replies, Rasa's circuit breaker, and the same again on every later message.
    """
    return [ActionExecuted("action_listen")]


def safe_to_send(tracker: Tracker) -> bool:
    """Never by a channel they told us is unsafe ("don't text me, he reads my phone")."""
    contact = tracker.get_slot("resident_contact") or {}
    note = (contact.get("safe_contact") or "").lower()
    return "do not text" not in note


class ActionRemind(Action):
    kind, response = "day_before", "utter_reminder_day_before"

    def name(self) -> str:
        return f"action_remind_{self.kind}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[EventType]:
        booked = tracker.get_slot("booking") or {}
        start = booked.get("start")
        if not start or dt.datetime.fromisoformat(start) <= dt.datetime.now(dt.timezone.utc):
            # cancelled here, erased, or already past: a wrong reminder is worse than none
            logger.info("reminder not sent: no upcoming booking in this conversation")
            return then_listen()
        if not safe_to_send(tracker):
            logger.info("reminder not sent: the resident asked not to be texted")
            return then_listen()
        worker = booking.first_name(booked)
        when = slot.when(start, booking.tz())
        dispatcher.utter_message(
            response=self.response, worker_name=worker, appointment_time=when,
            appointment_mode=booking.MODE_WORDS.get(booked.get("mode") or "", "phone"),
            json_message={"whatsapp_template": {"kind": "reminder", "parameters": [worker, when]}},
        )
        return then_listen()


class ActionRemindTwoHours(ActionRemind):
    kind, response = "two_hours", "utter_reminder_two_hours"
