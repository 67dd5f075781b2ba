"""The conversation action, stage by stage: what the resident sees and what is stored."""
from __future__ import annotations

import time

from rasa_sdk.executor import CollectingDispatcher

from actions.safeguarding import ActionRaiseUrgent
from actions.triage import ActionConverse
from tests.action_server.conftest import need, slot_values, tracker


async def converse(t):
    dispatcher = CollectingDispatcher()
    events = await ActionConverse().run(dispatcher, t, {})
    return [m.get("response") for m in dispatcher.messages], dispatcher.messages, slot_values(events)


async def test_a_first_message_is_welcomed_and_consent_is_asked(handoff):
    said, _, slots = await converse(tracker("im in rent arrears", "report_rent_arrears"))
    assert said == ["utter_welcome", "utter_ask_consent"]
    assert slots["presenting_issue"] == "rent_arrears"
    assert slots["triage_stage"] == "consent"


async def test_consent_then_one_open_question_about_what_happened(handoff):
    said, _, slots = await converse(tracker("yes", "affirm", {
        "triage_stage": "consent", "presenting_issue": "rent_arrears"}))
    assert said == ["utter_consent_given", "utter_ask_story"]
    assert slots["consent"] is True and slots["triage_stage"] == "story"


async def test_declining_consent_drops_any_words_kept_and_still_carries_on(handoff):
    said, _, slots = await converse(tracker("no", "deny", {
        "triage_stage": "consent", "in_their_words": [{"text": "im behind", "needs": []}]}))
    assert said == ["utter_consent_declined", "utter_ask_presenting_issue"]
    assert slots["consent"] is False and slots["in_their_words"] is None


async def test_an_unclear_consent_answer_is_asked_once_more_then_counts_as_no(handoff):
    said, _, slots = await converse(tracker("whatever", "inform", {"triage_stage": "consent"}))
    assert said == ["utter_ask_consent"] and "consent" not in slots
    said, _, slots = await converse(tracker("hmm", "inform",
                                            {"triage_stage": "consent", "reprompts": 1}))
    assert said[0] == "utter_consent_declined" and slots["consent"] is False


async def test_the_story_is_reflected_and_a_named_worker_offered_with_real_times(handoff):
    said, messages, slots = await converse(tracker(
        "my universal credit stopped and ive been drinking a lot", "inform",
        {"triage_stage": "story", "consent": True, "presenting_issue": "rent_arrears"},
        [need("benefits"), need("substance_use")]))
    assert said == ["utter_reflect_needs", "utter_offer_worker", "utter_offer_times"]
    assert "benefits problems" in messages[0]["needs_heard"]
    assert messages[1]["worker_name"] == "Amina Rahman"
    assert len(messages[2]["buttons"]) == 3
    assert handoff.sent("/api/v1/match")[0]["needs"] == ["benefits", "substance_use"]
    assert slots["needs"] == ["benefits", "substance_use"]
    assert slots["in_their_words"][0]["needs"] == ["benefits", "substance_use"]
    assert slots["triage_stage"] == "offer"


def offer_slots(handoff, **extra):
    return {"triage_stage": "offer", "offered_worker": handoff.workers[0],
            "offered_slots": handoff.workers[0]["slots"], "needs": ["benefits"], **extra}


async def test_picking_a_time_books_it_and_passes_on_the_summary(handoff):
    quotes = [{"text": "my uc stopped", "needs": ["benefits"]}]
    said, messages, slots = await converse(tracker("the second one", "choose_slot", offer_slots(
        handoff, consent=True, presenting_issue="rent_arrears", in_their_words=quotes)))
    booked = handoff.sent("/api/v1/bookings")[0]
    assert booked["start"] == handoff.workers[0]["slots"][1]["start"] and booked["worker_id"] == 7
    summary = handoff.sent("/api/v1/handoffs")[0]
    assert summary["needs"][0]["id"] == "benefits"
    assert summary["needs"][0]["in_their_words"] == ["my uc stopped"]
    assert summary["presenting_issue"] == "rent_arrears" and summary["booking_id"] == 101
    assert summary["consent"] == {"share_with_worker": True}
    assert said == ["utter_booking_confirmed"] and messages[0]["worker_name"] == "Amina Rahman"
    assert slots["triage_stage"] == "booked" and slots["handoff_id"] == "55"


async def test_without_consent_the_summary_carries_no_words(handoff):
    await converse(tracker("1", "choose_slot", offer_slots(
        handoff, consent=False, in_their_words=[{"text": "secret", "needs": ["benefits"]}])))
    summary = handoff.sent("/api/v1/handoffs")[0]
    assert summary["in_their_words"] == [] and summary["needs"][0]["in_their_words"] == []
    assert summary["consent"] == {"share_with_worker": False}


async def test_a_time_someone_else_just_took_leads_to_a_fresh_offer(handoff):
    handoff.taken.add(handoff.workers[0]["slots"][0]["start"])
    said, _, slots = await converse(tracker("1", "choose_slot", offer_slots(handoff)))
    assert said == ["utter_offer_worker", "utter_offer_times"]
    assert slots["triage_stage"] == "offer"


async def test_a_down_handoff_service_is_explained_kindly_and_quickly(handoff):
    handoff.fail = True
    started = time.monotonic()
    said, messages, _ = await converse(tracker("1", "choose_slot", offer_slots(handoff)))
    assert said == ["utter_service_unavailable"]
    assert time.monotonic() - started < 5


async def test_asking_for_a_person_goes_straight_to_booking(handoff):
    said, _, slots = await converse(tracker("can i just talk to a real person", "request_human",
                                            {"triage_stage": "story", "needs": ["debt"]}))
    assert said == ["utter_offer_worker", "utter_offer_times"]


async def test_yes_to_the_urgent_call_back_tells_the_duty_worker(handoff):
    offer = [{"event": "bot", "text": "call you back?",
              "metadata": {"utter_action": "utter_offer_urgent_callback"}}]
    said, _, _ = await converse(tracker("yes please", "affirm", {
        "triage_stage": "story", "risks": ["homeless_tonight"]}, events=offer))
    assert said == ["utter_callback_confirmed", "utter_carry_on", "utter_ask_story"]
    alert = handoff.sent("/api/v1/urgent")[0]
    assert alert["callback_requested"] is True and alert["risks"] == ["homeless_tonight"]


async def test_the_urgent_action_records_the_risk_and_alerts_without_speaking(handoff):
    dispatcher = CollectingDispatcher()
    t = tracker("ive got nowhere to sleep tonight", "risk_homeless_tonight",
                {"triage_stage": "story", "consent": True},
                [{"entity": "risk", "value": "homeless_tonight"}])
    events = await ActionRaiseUrgent().run(dispatcher, t, {})
    assert dispatcher.messages == []
    assert slot_values(events)["risks"] == ["homeless_tonight"]
    assert handoff.sent("/api/v1/urgent")[0]["risks"] == ["homeless_tonight"]
