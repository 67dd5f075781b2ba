"""Booking with a named worker: how to meet, real times, safe contact, returning, cancel, move."""
from __future__ import annotations

import time

import pytest

from tests.action_server.conftest import BOOKING, tracker
from tests.action_server.helpers import converse

READY = {"triage_stage": "mode", "consent": True, "presenting_issue": "rent_arrears",
         "needs": ["benefits", "employment"], "priority_need": "employment",
         "what_they_want": "a plan", "explored_areas": ["money"],
         "in_their_words": [{"text": "my uc stopped", "needs": ["benefits"]}]}


async def test_the_chosen_way_to_meet_finds_a_named_worker_with_real_times(handoff):
    said, messages, slots = await converse(tracker('/choose_mode{"contact_mode": "video"}', "choose_mode",
                                                   READY, [{"entity": "contact_mode", "value": "video"}]))
    assert said == ["utter_offer_worker", "utter_offer_times"]
    assert messages[0]["worker_name"] == "Amina Rahman"
    assert handoff.sent("/api/v1/match")[0]["modes"] == ["video"]
    titles = [b["title"] for b in messages[1]["buttons"]]
    assert len(titles) == 4 and titles[-1] == "None of these"
    assert slots["contact_mode"] == "video" and slots["triage_stage"] == "offer"


async def test_ring_me_in_plain_words_is_the_phone(handoff):
    _, _, slots = await converse(tracker("just ring me", "inform", READY))
    assert slots["contact_mode"] == "phone"


def offered(handoff, **extra):
    return {**READY, "triage_stage": "offer", "contact_mode": "phone",
            "offered_worker": handoff.workers[0], "offered_slots": handoff.workers[0]["slots"], **extra}


async def test_picking_a_time_books_it_passes_on_the_summary_and_asks_how_to_reach_them(handoff):
    said, messages, slots = await converse(tracker("the second one", "choose_slot", offered(handoff)))
    booked = handoff.sent("/api/v1/bookings")[0]
    assert booked["start"] == handoff.workers[0]["slots"][1]["start"] and booked["mode"] == "phone"
    summary = handoff.sent("/api/v1/handoffs")[0]
    assert summary["presenting_issue"] == "rent_arrears" and summary["booking_id"] == 101
    assert [n["id"] for n in summary["needs"]] == ["benefits", "employment"]
    assert summary["needs"][0]["in_their_words"] == ["my uc stopped"]
    assert summary["priority_need"] == "employment" and summary["what_they_want"] == "a plan"
    assert "about money or bills" in summary["already_asked"]
    assert said == ["utter_booking_confirmed", "utter_ask_contact"]
    assert messages[0]["worker_name"] == "Amina Rahman" and messages[0]["worker_first_name"] == "Amina"
    assert messages[0]["appointment_mode"] == "phone" and "place" not in messages[0]
    assert slots["triage_stage"] == "contact" and slots["handoff_id"] == "55"


async def test_a_face_to_face_booking_says_where_in_one_sentence(handoff):
    said, messages, _ = await converse(tracker("the first one", "choose_slot",
                                               offered(handoff, contact_mode="face_to_face")))
    assert handoff.sent("/api/v1/bookings")[0]["mode"] == "face_to_face"
    assert said[0] == "utter_booking_confirmed_in_person"
    assert messages[0]["place"] == "Community Hub" and messages[0]["worker_first_name"] == "Amina"


async def test_without_consent_the_summary_carries_no_words(handoff):
    await converse(tracker("1", "choose_slot", offered(handoff, consent=False)))
    summary = handoff.sent("/api/v1/handoffs")[0]
    assert summary["in_their_words"] == [] and summary["needs"][0]["in_their_words"] == []
    assert summary["what_they_want"] is None
    assert summary["consent"] == {"share_with_worker": False}


async def test_an_unsafe_channel_is_recorded_for_the_worker(handoff):
    state = {**READY, "triage_stage": "contact", "booking": BOOKING, "handoff_id": "55"}
    said, _, slots = await converse(tracker("07700 900123 but dont text me he reads my phone", "inform", state))
    assert slots["resident_contact"] == {"contact": "07700900123", "preferred_contact": "phone",
                                         "safe_contact": "Do not text"}
    patch = handoff.sent("/api/v1/handoffs/55")[0]
    assert patch["resident"]["safe_contact"] == "Do not text"
    assert said == ["utter_ask_name"] and slots["triage_stage"] == "name"


async def test_contact_details_with_dont_call_are_not_a_cancellation(handoff):
    """However the words are classified, an address in answer to the contact question is kept."""
    state = {**READY, "triage_stage": "contact", "booking": BOOKING, "handoff_id": "55"}
    said, _, slots = await converse(tracker("sam@example.com please dont text or call", "cancel_booking", state))
    assert slots["resident_contact"]["contact"] == "sam@example.com"
    assert slots["resident_contact"]["safe_contact"]
    assert said == ["utter_ask_name"] and slots["triage_stage"] == "name"
    # the words can still ask for a change
    said, _, _ = await converse(tracker("07700 900123, can we change the time", "reschedule_booking", state))
    assert "utter_ask_name" not in said


async def test_a_time_someone_else_just_took_leads_to_a_fresh_offer(handoff):
    handoff.taken.add(handoff.workers[0]["slots"][0]["start"])
    said, _, slots = await converse(tracker("1", "choose_slot", offered(handoff)))
    assert said == ["utter_slot_just_taken", "utter_offer_worker", "utter_offer_times"]


async def test_none_of_these_times_takes_a_call_back_and_tells_the_duty_worker(handoff):
    said, _, slots = await converse(tracker("none of these", "deny", offered(handoff)))
    assert said == ["utter_no_time_fits"]
    assert handoff.sent("/api/v1/urgent")[0]["callback_requested"] is True
    assert handoff.sent("/api/v1/handoffs/55")[0]["needs"][0]["id"] == "benefits"


async def test_a_down_handoff_service_is_explained_kindly_and_quickly(handoff):
    handoff.fail = True
    started = time.monotonic()
    said, _, slots = await converse(tracker("1", "choose_slot", offered(handoff)))
    assert said == ["utter_service_unavailable"]
    assert time.monotonic() - started < 5
    assert slots.get("triage_stage") is None  # still choosing: the same choice retries


async def test_a_slow_handoff_service_gets_the_same_kind_answer_within_the_timeout(handoff):
    handoff.delay = 3.0  # longer than HANDOFF_TIMEOUT_SECONDS (2 in these tests)
    started = time.monotonic()
    said, _, slots = await converse(tracker("1", "choose_slot", offered(handoff)))
    assert said == ["utter_service_unavailable"]
    assert time.monotonic() - started < 2.9
    assert slots.get("triage_stage") is None


async def test_a_handoff_not_stored_is_retried_on_the_next_message(handoff):
    state = {**READY, "triage_stage": "booked", "booking": BOOKING, "handoff_pending": True}
    _, _, slots = await converse(tracker("thanks", "thanks", state))
    assert handoff.sent("/api/v1/handoffs")[0]["booking_id"] == 101
    assert slots["handoff_pending"] is False


async def test_a_returning_resident_is_greeted_with_their_appointment(handoff):
    handoff.upcoming = BOOKING
    said, messages, slots = await converse(tracker("hi", "greet"))
    assert said == ["utter_welcome_back"] and messages[0]["worker_name"] == "Amina"
    assert slots["triage_stage"] == "returning"


async def test_back_after_booking_is_asked_whether_it_is_about_that(handoff):
    said, _, _ = await converse(tracker("hello", "greet", {"triage_stage": "booked", "booking": BOOKING,
                                                           "returning": True}))
    assert said == ["utter_welcome_back"]


async def test_something_new_starts_a_fresh_story_and_keeps_the_booking(handoff):
    state = {"triage_stage": "returning", "booking": BOOKING, "consent": True, "needs": ["benefits"]}
    said, _, slots = await converse(tracker("something new", "deny", state))
    assert said == ["utter_ask_story_new"] and slots["needs"] is None and "booking" not in slots


async def test_i_cant_make_it_offers_a_new_time_or_cancelling(handoff):
    state = {"triage_stage": "booked", "booking": BOOKING}
    said, _, slots = await converse(tracker("i cant make it", "cancel_booking", state))
    assert said == ["utter_cant_make_it_options"] and slots["triage_stage"] == "manage"
    said, _, slots = await converse(tracker("/cancel_booking", "cancel_booking", {**state, "triage_stage": "manage"}))
    assert said == ["utter_cancelled"] and slots["booking"] is None
    assert handoff.requests[-1]["path"] == "/api/v1/bookings/101/cancel"


@pytest.mark.parametrize("text, intent, said_first", [
    ("cant make it tomorrow sorry", "inform", "utter_cant_make_it_options"),
    ("I won't be able to make it", "nlu_fallback", "utter_cant_make_it_options"),
    ("could we change the time", "inform", "utter_offer_times"),
])
async def test_plain_words_about_the_appointment_count_whatever_the_classifier_said(handoff, text, intent, said_first):
    state = {"triage_stage": "booked", "booking": BOOKING}
    said, _, _ = await converse(tracker(text, intent, state))
    assert said == [said_first]


async def test_money_words_that_look_alike_are_not_about_the_appointment(handoff):
    state = {"triage_stage": "booked", "booking": BOOKING}
    said, _, _ = await converse(tracker("i cant make ends meet", "inform", state))
    assert said == ["utter_about_booking_or_new"]


async def test_can_we_do_another_day_moves_it_with_the_same_worker(handoff):
    state = {"triage_stage": "booked", "booking": BOOKING}
    said, _, slots = await converse(tracker("can we do thursday instead", "reschedule_booking", state))
    assert said == ["utter_offer_times"] and slots["triage_stage"] == "reschedule"
    new_start = slots["offered_slots"][1]["start"]
    said, _, slots = await converse(tracker("2", "choose_slot", {**state, **slots}))
    assert handoff.sent("/api/v1/bookings/101/move")[0] == {"start": new_start}
    assert said == ["utter_moved"] and slots["booking"]["start"] == new_start


async def test_a_handoff_the_service_missed_is_retried_in_the_background(handoff, monkeypatch):
    import asyncio

    monkeypatch.setenv("HANDOFF_RETRY_SECONDS", "0.05")
    original = handoff.handle
    calls = {"handoffs": 0}

    async def down_for_the_first_handoff(request):
        if request.path == "/api/v1/handoffs":
            calls["handoffs"] += 1
            if calls["handoffs"] == 1:
                handoff.requests.append({"path": request.path, "body": await request.json()})
                from aiohttp import web
                return web.json_response({"error": "down"}, status=503)
        return await original(request)

    handoff.handle = down_for_the_first_handoff
    said, _, slots = await converse(tracker("1", "choose_slot", offered(handoff)))
    assert slots["handoff_pending"] is True and said[0] == "utter_booking_confirmed"
    for _ in range(40):
        if calls["handoffs"] >= 2:
            break
        await asyncio.sleep(0.05)
    sent = handoff.sent("/api/v1/handoffs")
    assert len(sent) == 2 and sent[0]["idempotency_key"] == sent[1]["idempotency_key"]


async def test_the_language_they_asked_for_reaches_matching_and_the_summary(handoff):
    handoff.workers[0]["interpreter_needed"] = True
    said, _, slots = await converse(tracker('/choose_mode{"contact_mode": "phone"}', "choose_mode",
                                            {**READY, "language": "so"},
                                            [{"entity": "contact_mode", "value": "phone"}]))
    assert handoff.sent("/api/v1/match")[0]["language"] == "so"
    assert said == ["utter_offer_worker", "utter_interpreter_booked", "utter_offer_times"]
    await converse(tracker("1", "choose_slot", {**offered(handoff), "language": "so"}))
    assert handoff.sent("/api/v1/handoffs")[0]["resident"]["language"] == "so"


async def test_the_name_they_would_like_reaches_the_worker_and_the_booking_is_confirmed(handoff):
    state = {**READY, "triage_stage": "name", "booking": BOOKING, "handoff_id": "55"}
    said, messages, slots = await converse(tracker("it's mrs begum", "deny", state))  # whatever the intent
    assert slots["resident_name"] == "Mrs Begum"
    patch = handoff.sent("/api/v1/handoffs/55")[-1]
    assert patch["resident"]["name"] == "Mrs Begum"
    assert "what name to use for them" in patch["already_asked"]
    assert said == ["utter_what_happens_next"] and slots["triage_stage"] == "booked"
    assert messages[0]["worker_name"] == "Amina"


async def test_the_name_can_be_skipped_and_is_never_guessed(handoff):
    state = {**READY, "triage_stage": "name", "booking": BOOKING, "handoff_id": "55"}
    said, _, slots = await converse(tracker("rather not say", "skip", state))
    assert said == ["utter_what_happens_next"] and "resident_name" not in slots
    assert handoff.sent("/api/v1/handoffs/55") == []  # nothing new to tell the worker
    said, _, slots = await converse(tracker("why do you need it, I told you everything already", "inform", state))
    assert said == ["utter_ask_name_again"] and "resident_name" not in slots
