"""An unsure reading of danger is asked about in plain words, and the answer decides: danger
brings the risk response, the call-back offer and an urgent handoff; no danger is thanked and
the conversation carries on where it was."""
from __future__ import annotations

import pytest

from tests.action_server.conftest import need, tracker
from tests.action_server.helpers import converse

STORY = {"triage_stage": "story", "consent": True, "presenting_issue": "rent_arrears"}


def unsure(risk: str):
    return {"entity": "risk_check", "value": risk, "confidence": 0.5}


async def test_an_unsure_danger_is_asked_about_and_the_message_is_kept(handoff):
    said, _, slots = await converse(tracker(
        "been cutting again last nite cant stop, and the rent is behind", "inform", STORY,
        entities=[unsure("suicide_self_harm"), need("money_management")]))
    assert said == ["utter_check_suicide_self_harm"]
    assert slots["pending_risk_check"] == "suicide_self_harm"
    assert slots["risks_checked"] == ["suicide_self_harm"]
    assert slots["needs"] == ["money_management"]  # what they said is not lost
    assert slots["in_their_words"][0]["text"].startswith("been cutting again")
    assert "triage_stage" not in slots  # the journey waits for the answer
    assert handoff.sent("/api/v1/urgent") == []  # nothing raised on a guess


@pytest.mark.parametrize("answer, intent", [
    ("yes", "affirm"), ("ye", "nlu_fallback"), ("yeah i am", "affirm"), ("sometimes", "inform"),
    ("not sure", "inform"), ("a bit tbh", "nlu_fallback"), ("yes, most nights, I just want it to stop", "inform"),
])
async def test_an_answer_that_means_danger_brings_the_risk_response_and_an_urgent_handoff(handoff, answer, intent):
    said, _, slots = await converse(tracker(answer, intent, {**STORY, "pending_risk_check": "suicide_self_harm",
                                                             "risks_checked": ["suicide_self_harm"]}))
    assert said == ["utter_risk_suicide_self_harm", "utter_offer_urgent_callback"]
    assert slots["risks"] == ["suicide_self_harm"] and slots["pending_risk_check"] is None
    alert = handoff.sent("/api/v1/urgent")[0]
    assert alert["risks"] == ["suicide_self_harm"] and alert["callback_requested"] is False


@pytest.mark.parametrize("answer, intent", [
    ("no", "deny"), ("nah", "nlu_fallback"), ("no im ok, just stressed", "deny"), ("not really", "inform"),
    ("i'd rather not say", "skip"),
])
async def test_an_answer_that_means_no_danger_is_thanked_and_the_story_goes_on(handoff, answer, intent):
    state = {**STORY, "needs": ["money_management"], "pending_risk_check": "suicide_self_harm"}
    said, _, slots = await converse(tracker(answer, intent, state))
    assert said[:2] == ["utter_check_all_clear", "utter_reflect_needs"]
    assert said[2].startswith("utter_explore")  # the next gentle question, as before the check
    assert slots["pending_risk_check"] is None and "risks" not in slots
    assert handoff.sent("/api/v1/urgent") == []


async def test_for_a_bed_tonight_the_answer_that_means_danger_is_no(handoff):
    state = {**STORY, "pending_risk_check": "homeless_tonight"}
    said, _, slots = await converse(tracker("no", "deny", state))
    assert said == ["utter_risk_homeless_tonight", "utter_offer_urgent_callback"]
    assert slots["risks"] == ["homeless_tonight"]
    said, _, slots = await converse(tracker("yes at my mums", "affirm", state))
    assert said[0] == "utter_check_all_clear" and "risks" not in slots


async def test_a_reply_that_is_not_an_answer_is_heard_as_a_new_message(handoff):
    state = {**STORY, "pending_risk_check": "harm_from_others", "risks_checked": ["harm_from_others"]}
    said, _, slots = await converse(tracker(
        "the main thing is the council tax letters, they keep coming every week", "inform", state,
        entities=[need("money_management")]))
    assert slots["pending_risk_check"] is None
    assert said[0] == "utter_reflect_needs" and "utter_check_all_clear" not in said
    assert handoff.sent("/api/v1/urgent") == []


async def test_each_risk_is_asked_about_once_and_never_when_danger_is_already_known(handoff):
    asked_before = {**STORY, "risks_checked": ["suicide_self_harm"]}
    said, _, _ = await converse(tracker("i feel so low", "inform", asked_before,
                                        entities=[unsure("suicide_self_harm"), need("mental_health")]))
    assert "utter_check_suicide_self_harm" not in said
    known = {**STORY, "risks": ["harm_from_others"]}
    said, _, _ = await converse(tracker("he was shouting again", "inform", known,
                                        entities=[unsure("harm_from_others")]))
    assert "utter_check_harm_from_others" not in said
    # another risk, not yet asked about, is still asked
    said, _, _ = await converse(tracker("no gas since tuesday", "inform", known,
                                        entities=[unsure("no_food_or_heating")]))
    assert said == ["utter_check_no_food_or_heating"]


async def test_a_yes_to_the_call_back_offer_after_a_checked_danger_is_the_call_back(handoff):
    offer = [{"event": "bot", "text": "call you back?",
              "metadata": {"utter_action": "utter_offer_urgent_callback"}}]
    state = {**STORY, "risks": ["suicide_self_harm"], "risks_checked": ["suicide_self_harm"]}
    said, _, _ = await converse(tracker("yes please", "affirm", state, events=offer))
    assert said[:2] == ["utter_callback_confirmed", "utter_carry_on"]
    assert handoff.sent("/api/v1/urgent")[0]["callback_requested"] is True


async def test_mid_booking_an_unsure_danger_is_asked_and_booking_resumes_after_a_no(handoff):
    booking = {**STORY, "triage_stage": "mode", "needs": ["benefits"]}
    said, _, slots = await converse(tracker("whatever, nothing matters anyway", "inform", booking,
                                            entities=[unsure("suicide_self_harm")]))
    assert said == ["utter_check_suicide_self_harm"]
    said, _, _ = await converse(tracker("no", "deny", {**booking, "pending_risk_check": "suicide_self_harm"}))
    assert said == ["utter_check_all_clear", "utter_ask_mode"]
