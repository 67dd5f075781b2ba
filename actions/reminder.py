"""Appointment reminders, the day before and two hours before.

The handoff service schedules them as durable jobs and, when one is due, triggers the intent
EXTERNAL_reminder in this conversation through Rasa's API (entities: reminder, booking_id and,
when known, start), with the booking's channel as the output channel. This action decides
whether it is safe to send and says it; on WhatsApp the channel turns it into the approved
template (bot/channels: WHATSAPP_REMINDER_TEMPLATE / TWILIO_WHATSAPP_REMINDER_CONTENT_SID).
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import booking, slot
from actions.resident import Message

logger = logging.getLogger(__name__)
RESPONSES = {"day_before": "utter_reminder_day_before", "two_hours": "utter_reminder_two_hours"}


def safe_to_send(tracker: Tracker) -> bool:
    """Never by a channel they told us is unsafe ("don't text me, he reads my phone")."""
    contact = tracker.get_slot("resident_contact") or {}
    note = (contact.get("safe_contact") or "").lower()
    return "do not text" not in note


class ActionRemind(Action):
    def name(self) -> str:
        return "action_remind"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[EventType]:
        message = Message.latest(tracker)
        kind = message.entity("reminder")
        booked = tracker.get_slot("booking") or {}
        if kind not in RESPONSES or str(booked.get("id")) != str(message.entity("booking_id")):
            # cancelled here, erased, or another booking: a wrong reminder is worse than none
            logger.info("reminder not sent: no matching booking in this conversation")
            return []
        if not safe_to_send(tracker):
            logger.info("reminder not sent: the resident asked not to be texted")
            return []
        start = message.entity("start") or booked["start"]
        worker = booked["worker"]["name"].split()[0]
        when = slot.when(start, booking.tz())
        dispatcher.utter_message(
            response=RESPONSES[kind], worker_name=worker, appointment_time=when,
            appointment_mode=booking.MODE_WORDS.get(booked.get("mode") or "", "phone"),
            json_message={"whatsapp_template": {"kind": "reminder", "parameters": [worker, when]}},
        )
        return []
