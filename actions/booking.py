"""Offering a named worker and real times, booking one, and storing the warm handoff."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Dict, List

from actions import slot, summary
from actions.handoff_client import HandoffClient, HandoffRejected, HandoffUnavailable, SlotTaken
from actions.resident import identity
from actions.settings import Settings

if TYPE_CHECKING:
    from actions.triage import Conversation

logger = logging.getLogger(__name__)
MODE_WORDS = {"phone": "phone", "face_to_face": "meeting face to face", "video": "video call"}


def when(start_iso: str) -> str:
    return slot.when(start_iso, Settings.from_env().timezone)


async def offer(turn: "Conversation") -> None:
    """Find the best-fitting worker with free times and offer up to three of them."""
    from actions.triage import OFFER

    client = HandoffClient()
    try:
        workers = await client.match(turn.slot("needs") or [], identity(turn.tracker))
    except (HandoffUnavailable, HandoffRejected) as error:
        logger.warning("matching failed for a conversation: %s", error)
        turn.say("utter_service_unavailable")
        turn.move_to(OFFER)
        turn.set("offered_slots", [])
        return
    worker = next((w for w in workers if w.get("slots")), None)
    if worker is None:
        turn.say("utter_no_worker_available")
        turn.move_to(OFFER)
        turn.set("offered_slots", [])
        return
    turn.set("offered_worker", {k: worker.get(k) for k in ("id", "name", "intro", "modes", "location")})
    turn.set("offered_slots", [{"start": s["start"], "end": s["end"]} for s in worker["slots"][:3]])
    turn.say("utter_offer_worker", worker_name=worker["name"], worker_intro=worker.get("intro") or "")
    turn.move_to(OFFER)
    ask_for_time(turn)


def ask_for_time(turn: "Conversation") -> None:
    timezone = Settings.from_env().timezone
    buttons = [
        {"title": slot.short_label(s["start"], timezone),
         "payload": '/choose_slot{"slot_choice": "%s"}' % s["start"]}
        for s in turn.slot("offered_slots") or []
    ]
    turn.say("utter_offer_times", buttons=buttons)


async def choose(turn: "Conversation") -> None:
    """The resident answered the offer of times: book the one they picked."""
    offered: List[Dict[str, Any]] = turn.slot("offered_slots") or []
    if not offered:
        await offer(turn)  # the last offer failed (service down); try again now
        return
    timezone = Settings.from_env().timezone
    chosen = slot.choose(offered, turn.message.text, turn.message.entity("slot_choice"), timezone)
    if chosen is None:
        turn.absorb()
        if turn.reprompted_enough():
            await offer(turn)
        else:
            turn.say("utter_ask_choose_time_again")
        return
    await book(turn, chosen)


async def book(turn: "Conversation", chosen: Dict[str, Any]) -> None:
    from actions.triage import BOOKED

    worker = turn.slot("offered_worker")
    who = identity(turn.tracker)
    mode = "phone" if "phone" in (worker.get("modes") or ["phone"]) else worker["modes"][0]
    client = HandoffClient()
    try:
        booked = await client.book({
            "worker_id": worker["id"],
            "start": chosen["start"],
            "mode": mode,
            "conversation_id": turn.tracker.sender_id,
            "channel": who["channel"],
            # a retried request books once
            "idempotency_key": f"{turn.tracker.sender_id}:{worker['id']}:{chosen['start']}",
            "resident": {"identity": who["identity"], "preferred_contact": who["channel"]},
        })
    except SlotTaken:
        await offer(turn)
        return
    except (HandoffUnavailable, HandoffRejected) as error:
        logger.warning("booking failed for a conversation: %s", error)
        turn.say("utter_service_unavailable")
        return
    turn.set("booking", booked)
    turn.move_to(BOOKED)
    try:
        stored = await client.store_handoff(summary.compose(turn.tracker, booked, turn.slot))
        turn.set("handoff_id", str(stored["id"]))
    except (HandoffUnavailable, HandoffRejected) as error:
        logger.warning("handoff not stored yet for a conversation: %s", error)
    turn.say("utter_booking_confirmed", worker_name=booked["worker"]["name"],
             appointment_time=when(booked["start"]),
             appointment_mode=MODE_WORDS.get(booked.get("mode") or mode, "phone"))
