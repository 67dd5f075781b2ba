"""Booking with a named worker: how to meet, real times, booking, safe contact, confirmation;
and later, a returning resident, "I can't make it", "can we do Thursday instead", "cancel".

Domain needs: slots contact_mode, offered_worker, offered_slots, booking, handoff_id,
handoff_pending, resident_contact, returning; the utter_* responses named below.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Optional

from actions import contact, resident, slot, summary
from actions.handoff_client import HandoffClient, HandoffRejected, HandoffUnavailable, SlotTaken
from actions.resident import identity
from actions import settings

if TYPE_CHECKING:
    from actions.conversation import Conversation

logger = logging.getLogger(__name__)

MODE, OFFER, CONTACT, NAME, BOOKED, RETURNING, MANAGE, RESCHEDULE, CALLBACK = (
    "mode", "offer", "contact", "name", "booked", "returning", "manage", "reschedule", "callback")
MODES = ("phone", "face_to_face", "video")
MODE_WORDS = {"phone": "phone", "face_to_face": "face to face", "video": "video call"}
MODE_CUES = {
    "phone": ("phone", "call", "ring", "telephone", "mobile"),
    "face_to_face": ("face", "person", "come in", "office", "meet", "visit"),
    "video": ("video", "zoom", "teams", "facetime", "camera"),
}
TEXTING_CHANNELS = {"twilio_sms", "twilio_whatsapp", "meta_whatsapp", "sms", "whatsapp"}
SKIPPING = {"skip", "deny", "nothing_else"}


def tz() -> str:
    return settings.timezone()


def when(start_iso: str) -> str:
    return slot.when(start_iso, tz())


def has_booking(turn: "Conversation") -> bool:
    return bool(turn.slot("booking"))


def first_name(booked: Dict[str, Any]) -> str:
    """How the bot names the worker once introduced: "Amina", not "Amina Rahman"."""
    return booked["worker"]["name"].split()[0]


# Plain words about the appointment, heard whatever the classifier made of them (a reply to a
# reminder is often just "can't make it" or "can we do Thursday instead").
RESCHEDULE_WORDS = re.compile(
    r"\b(?:change|move|rearrange|reschedule|swap)\b[^.!?]{0,20}\b(?:time|day|date|appointment|it)\b"
    r"|\b(?:another|different|other) (?:time|day|date)\b|\binstead\b", re.I)
CANCEL_WORDS = re.compile(
    r"\b(?:can'?t|cannot|cant|won'?t|wont|unable to|not able to)\b[^.!?]{0,14}?"
    r"\b(?:make it|make the (?:appointment|meeting|time)|attend|be there|"
    r"come (?:in|on|to it|then|at|tomorrow|today))\b"
    r"|\bcancel\b[^.!?]{0,12}\b(?:it|appointment|booking|meeting|that)\b|^\s*cancel\W*$", re.I)


def change_asked(turn: "Conversation") -> Optional[str]:
    """'reschedule_booking', 'cancel_booking' or None, from the intent or the words."""
    if turn.message.intent in ("cancel_booking", "reschedule_booking") and not _gives_contact(turn):
        return turn.message.intent
    if turn.message.is_payload:
        return None
    if RESCHEDULE_WORDS.search(turn.message.text):
        return "reschedule_booking"
    if CANCEL_WORDS.search(turn.message.text):
        return "cancel_booking"
    return None


def _gives_contact(turn: "Conversation") -> bool:
    """An answer to "how can your worker reach you?" with an address in it: "x@example.com,
    please dont text or call" says how to reach them and cancels nothing, whatever its intent
    (only the words can still ask for a change: "07700 900123, can we change the time")."""
    return turn.stage == CONTACT and bool(contact.parse(turn.message.text).address)


# --- how to meet -----------------------------------------------------------------------------

async def start(turn: "Conversation") -> None:
    """Booking begins: ask how they would like to meet."""
    turn.move_to(MODE)
    turn.say("utter_ask_mode")


async def on_mode(turn: "Conversation") -> None:
    mode = _mode(turn)
    if mode is None and turn.message.intent not in SKIPPING | {"affirm"} and not turn.reprompted_enough():
        turn.say("utter_ask_mode_again")
        return
    turn.set("contact_mode", mode)  # None: any way suits them
    await offer(turn)


def _mode(turn: "Conversation") -> Optional[str]:
    value = turn.message.entity("contact_mode")
    if value in MODES:
        return value
    lowered = turn.message.text.lower()
    found = [m for m, cues in MODE_CUES.items() if any(c in lowered for c in cues)]
    return found[0] if len(found) == 1 else None


# --- a named worker and real times ---------------------------------------------------------------

async def offer(turn: "Conversation", same_worker: bool = False) -> None:
    """Offer the best-fitting named worker and up to three of their real free times."""
    mode = turn.slot("contact_mode")
    try:
        workers = await HandoffClient().match(turn.slot("needs") or [], identity(turn.tracker),
                                              language=turn.slot("language"),
                                              modes=[mode] if mode else None)
    except (HandoffUnavailable, HandoffRejected) as error:
        logger.warning("matching failed for a conversation: %s", error)
        turn.say("utter_service_unavailable")
        turn.move_to(OFFER)
        turn.set("offered_slots", [])
        return
    booked = turn.slot("booking") or {}
    if same_worker and booked:
        workers = [w for w in workers if w.get("id") == booked["worker"]["id"]]
    worker = next((w for w in workers if w.get("slots")), None)
    if worker is None:
        await no_time_fits(turn)
        return
    turn.set("offered_worker", {k: worker.get(k) for k in
                                ("id", "name", "intro", "modes", "location", "phone")})
    taken = {booked.get("start")} if same_worker else set()
    turn.set("offered_slots", [{"start": s["start"], "end": s["end"]}
                               for s in worker["slots"] if s["start"] not in taken][:3])
    if not same_worker:
        turn.say("utter_offer_worker", worker_name=worker["name"], worker_intro=worker.get("intro") or "")
        if worker.get("interpreter_needed"):
            turn.say("utter_interpreter_booked")
    turn.move_to(RESCHEDULE if same_worker else OFFER)
    ask_for_time(turn)


def ask_for_time(turn: "Conversation") -> None:
    buttons = [{"title": slot.short_label(s["start"], tz()),
                "payload": '/choose_slot{"slot_choice": "%s"}' % s["start"]}
               for s in turn.slot("offered_slots") or []]
    buttons.append({"title": "None of these", "payload": "/deny"})
    turn.say("utter_offer_times", buttons=buttons)


async def on_offer(turn: "Conversation") -> None:
    offered: List[Dict[str, Any]] = turn.slot("offered_slots") or []
    if not offered:
        await offer(turn)  # the last offer failed (service down): try again now
        return
    chosen = slot.choose(offered, turn.message.text, turn.message.entity("slot_choice"), tz())
    if chosen is not None:
        await book(turn, chosen)
    elif turn.message.intent in ("deny", "nothing_else") or turn.reprompted_enough():
        await no_time_fits(turn)
    else:
        turn.absorb()
        turn.say("utter_ask_choose_time_again")


async def no_time_fits(turn: "Conversation") -> None:
    """Say so honestly, take a call-back request and tell the duty worker."""
    from actions.safeguarding import alert_duty_worker

    delivered = await alert_duty_worker(turn, callback_requested=True)
    if delivered:
        await store_handoff(turn)  # the team calling back should know the story too
    turn.say("utter_no_time_fits" if delivered else "utter_service_unavailable")
    turn.move_to(CALLBACK)


async def book(turn: "Conversation", chosen: Dict[str, Any]) -> None:
    worker = turn.slot("offered_worker")
    who = identity(turn.tracker)
    modes = worker.get("modes") or ["phone"]
    mode = turn.slot("contact_mode") if turn.slot("contact_mode") in modes else modes[0]
    try:
        booked = await HandoffClient().book({
            "worker_id": worker["id"], "start": chosen["start"], "mode": mode,
            "conversation_id": turn.tracker.sender_id, "channel": who["channel"],
            # a retried request books once
            "idempotency_key": f"{turn.tracker.sender_id}:{worker['id']}:{chosen['start']}",
            "resident": {"identity": who["identity"], "preferred_contact": who["channel"]},
        })
    except SlotTaken:
        turn.say("utter_slot_just_taken")
        await offer(turn)
        return
    except (HandoffUnavailable, HandoffRejected) as error:
        logger.warning("booking failed for a conversation: %s", error)
        turn.say("utter_service_unavailable")  # offered times are kept: choosing again retries
        return
    turn.set("booking", booked)
    await store_handoff(turn)
    chosen = booked.get("mode") or mode
    details = dict(worker_name=booked["worker"]["name"], worker_first_name=first_name(booked),
                   appointment_time=when(booked["start"]))
    if chosen == "face_to_face":
        turn.say("utter_booking_confirmed_in_person", **details,
                 place=booked.get("location") or worker.get("location"))
    else:
        turn.say("utter_booking_confirmed", **details,
                 appointment_mode=MODE_WORDS.get(chosen, "phone"))
    turn.move_to(CONTACT)
    _ask_contact(turn)


async def store_handoff(turn: "Conversation") -> bool:
    """Store (or update) the warm handoff.

    If the service is down, the handoff is retried in the background until it is stored, and
    again on the resident's next message; the idempotency key makes every retry land once.
    """
    client = HandoffClient()
    payload = None
    try:
        if turn.slot("handoff_id"):
            await client.update_handoff(turn.slot("handoff_id"), summary.update(turn.tracker, turn.slot))
        else:
            payload = summary.compose(turn.tracker, turn.slot("booking"), turn.slot)
            stored = await client.store_handoff(payload)
            turn.set("handoff_id", str(stored["id"]))
    except (HandoffUnavailable, HandoffRejected) as error:
        logger.warning("handoff not stored yet for a conversation: %s", error)
        turn.set("handoff_pending", True)
        if payload is not None and isinstance(error, HandoffUnavailable):
            retry_in_background(payload)
        return False
    if turn.slot("handoff_pending"):
        turn.set("handoff_pending", False)
    return True


_retrying: "set[asyncio.Task]" = set()  # held so running retries are not garbage-collected


def retry_in_background(payload: Dict[str, Any]) -> None:
    task = asyncio.get_running_loop().create_task(_retry(payload))
    _retrying.add(task)
    task.add_done_callback(_retrying.discard)


async def _retry(payload: Dict[str, Any]) -> None:
    delay = float(os.environ.get("HANDOFF_RETRY_SECONDS", "5"))
    for _ in range(RETRY_ATTEMPTS):
        await asyncio.sleep(delay)
        try:
            await HandoffClient().store_handoff(payload)
            logger.info("handoff stored after a retry")
            return
        except HandoffUnavailable:
            delay = min(delay * 2, 300)
        except HandoffRejected:
            return
    logger.error("handoff still not stored after %s retries; it waits for the next message", RETRY_ATTEMPTS)


RETRY_ATTEMPTS = 12  # about 3 hours with the back-off above


# --- reaching them safely -----------------------------------------------------------------------

def _ask_contact(turn: "Conversation") -> None:
    channel = identity(turn.tracker)["channel"]
    worker = (turn.slot("booking") or {}).get("worker", {}).get("name", "your worker").split()[0]
    turn.say("utter_ask_contact_this_number" if channel in TEXTING_CHANNELS else "utter_ask_contact",
             worker_first_name=worker)


async def on_contact(turn: "Conversation") -> None:
    text = turn.message.text
    channel = identity(turn.tracker)["channel"]
    reached = contact.parse(text)
    if turn.message.intent == "affirm" and channel in TEXTING_CHANNELS:
        turn.set("resident_contact", {"contact": turn.tracker.sender_id, "preferred_contact": channel,
                                      "safe_contact": None})
    elif reached.address or reached.avoid or reached.when:
        turn.set("resident_contact", {"contact": reached.address, "preferred_contact": reached.preferred,
                                      "safe_contact": contact.safe_note(reached.avoid, reached.when)})
        if not reached.address and not turn.reprompted_enough():
            turn.say("utter_ask_contact_safe_way")
            return
    elif turn.message.intent not in SKIPPING and not turn.reprompted_enough():
        turn.say("utter_ask_contact_again")
        return
    await store_handoff(turn)  # a safe-contact note reaches the worker even if they stop here
    if turn.slot("resident_name"):
        finish(turn)
    else:
        turn.move_to(NAME)
        _ask_name(turn)


def _ask_name(turn: "Conversation") -> None:
    turn.say("utter_ask_name", worker_first_name=first_name(turn.slot("booking")))


async def on_name(turn: "Conversation") -> None:
    # the words decide, not the intent: "it's Sam" can come back classified as anything
    name = None if turn.message.is_payload else resident.name_from(turn.message.text)
    if name:
        turn.set("resident_name", name)
        await store_handoff(turn)
    elif turn.message.intent not in SKIPPING and not turn.reprompted_enough():
        turn.say("utter_ask_name_again")
        return
    finish(turn)


def finish(turn: "Conversation") -> None:
    booked = turn.slot("booking")
    turn.say("utter_what_happens_next", worker_name=first_name(booked),
             appointment_time=when(booked["start"]))
    turn.move_to(BOOKED)


# --- afterwards: returning, keeping, moving, cancelling --------------------------------------------

async def welcome_back(turn: "Conversation") -> bool:
    """A returning resident with an upcoming appointment is greeted with it. False if none."""
    try:
        upcoming = await HandoffClient().upcoming(identity(turn.tracker))
    except (HandoffUnavailable, HandoffRejected):
        return False
    if not upcoming:
        return False
    turn.set("booking", upcoming)
    _welcome_back(turn, upcoming)
    return True


def _welcome_back(turn: "Conversation", booked: Dict[str, Any]) -> None:
    turn.say("utter_welcome_back", worker_name=first_name(booked),
             appointment_time=when(booked["start"]))
    turn.move_to(RETURNING)


async def on_booked(turn: "Conversation") -> None:
    if turn.slot("handoff_pending"):
        await store_handoff(turn)
    booked = turn.slot("booking")
    if turn.message.intent in ("thanks", "goodbye", "affirm", "deny", "nothing_else"):
        turn.say("utter_goodbye")
    elif booked and turn.slot("returning"):
        turn.set("returning", False)
        _welcome_back(turn, booked)
    elif booked:
        turn.say("utter_about_booking_or_new", worker_name=first_name(booked),
                 appointment_time=when(booked["start"]))
        turn.move_to(RETURNING)
    else:
        turn.say("utter_goodbye")


async def on_returning(turn: "Conversation") -> None:
    from actions import triage

    if turn.message.intent == "affirm":
        turn.say("utter_ask_manage")
        turn.move_to(MANAGE)
        return
    # something new: a fresh triage, keeping only consent and the booking they already have
    turn.forget_story()
    turn.set("handoff_id", None)  # a new story gets its own handoff; the booked one stays as it is
    turn.absorb()
    if turn.message.tells_something:
        await triage.reflect_and_explore(turn)
    else:
        turn.say("utter_ask_story_new")
        turn.move_to(triage.STORY)


async def on_manage(turn: "Conversation") -> None:
    if turn.message.intent in ("affirm", "deny", "nothing_else", "thanks"):
        turn.say("utter_keep_booking")
        turn.move_to(BOOKED)
    elif not turn.reprompted_enough():
        turn.say("utter_ask_manage")
    else:
        turn.say("utter_keep_booking")
        turn.move_to(BOOKED)


async def manage(turn: "Conversation") -> None:
    """ "cancel" / "I can't make it" / "can we do Thursday instead", at any point."""
    booked = turn.slot("booking")
    if change_asked(turn) == "reschedule_booking":
        await offer(turn, same_worker=True)
        return
    if turn.stage != MANAGE:
        # "I can't make it" may mean another time would do: offer the choice first
        turn.say("utter_cant_make_it_options", worker_name=first_name(booked),
                 appointment_time=when(booked["start"]))
        turn.move_to(MANAGE)
        return
    try:
        await HandoffClient().cancel(booked["id"])
    except (HandoffUnavailable, HandoffRejected):
        turn.say("utter_service_unavailable")
        return
    turn.set("booking", None)
    turn.say("utter_cancelled")
    turn.move_to("new")


async def on_reschedule(turn: "Conversation") -> None:
    offered = turn.slot("offered_slots") or []
    chosen = slot.choose(offered, turn.message.text, turn.message.entity("slot_choice"), tz())
    if chosen is None:
        if turn.message.intent in ("deny", "nothing_else") or turn.reprompted_enough():
            turn.say("utter_keep_booking")
            turn.move_to(BOOKED)
        else:
            turn.say("utter_ask_choose_time_again")
        return
    booked = turn.slot("booking")
    try:
        moved = await HandoffClient().move(booked["id"], chosen["start"])
    except SlotTaken:
        turn.say("utter_slot_just_taken")
        await offer(turn, same_worker=True)
        return
    except (HandoffUnavailable, HandoffRejected):
        turn.say("utter_service_unavailable")
        return
    turn.set("booking", moved)
    turn.say("utter_moved", worker_name=first_name(moved),
             appointment_time=when(moved["start"]))
    turn.move_to(BOOKED)


async def on_callback(turn: "Conversation") -> None:
    """A call-back is already asked for: keep anything more they tell us for the team."""
    if turn.message.intent in ("thanks", "goodbye", "affirm", "nothing_else"):
        turn.say("utter_goodbye")
    else:
        turn.absorb()
        turn.say("utter_callback_noted")


async def ask_again(turn: "Conversation") -> None:
    stage = turn.stage
    if stage == MODE:
        turn.say("utter_ask_mode")
    elif stage in (OFFER, RESCHEDULE):
        ask_for_time(turn)
    elif stage == CONTACT:
        _ask_contact(turn)
    elif stage == NAME:
        _ask_name(turn)
    elif stage == MANAGE:
        turn.say("utter_ask_manage")
    elif stage == BOOKED and turn.slot("booking"):
        booked = turn.slot("booking")
        turn.say("utter_already_booked", worker_name=booked["worker"]["name"],
                 appointment_time=when(booked["start"]))


HANDLERS: Dict[str, Callable[["Conversation"], Awaitable[None]]] = {
    MODE: on_mode, OFFER: on_offer, CONTACT: on_contact, NAME: on_name, BOOKED: on_booked,
    RETURNING: on_returning, MANAGE: on_manage, RESCHEDULE: on_reschedule, CALLBACK: on_callback,
}
