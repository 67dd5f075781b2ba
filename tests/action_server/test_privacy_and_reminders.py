""""Delete my data" in plain words, and reminders triggered by the handoff service."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.privacy import asks_to_erase
from actions.reminder import ActionRemind, ActionRemindTwoHours
from tests.action_server.conftest import BOOKING, tracker
from tests.action_server.helpers import converse

STORY = {"triage_stage": "explore", "consent": True, "needs": ["benefits"], "asking_area": "work",
         "explored_areas": ["work"], "in_their_words": [{"text": "my uc stopped", "needs": ["benefits"]}]}


@pytest.mark.parametrize("text", [
    "please delete my data", "can you erase everything I told you", "I want my details deleted",
    "forget me", "remove me from your records", "delete this conversation",
])
def test_plain_requests_to_delete_are_recognised(text):
    assert asks_to_erase(text)


def test_the_learned_request_counts_only_when_sure_and_never_against_the_words():
    assert asks_to_erase("take my name off everything", "erase_my_data", 0.93)
    assert not asks_to_erase("take my name off everything", "erase_my_data", 0.55)
    assert not asks_to_erase("take my name off everything", "inform", 0.99)
    assert not asks_to_erase("did you delete my name off everything?", "erase_my_data", 0.95)


@pytest.mark.parametrize("text", [
    "I deleted the messages by mistake", "did you delete my data?", "don't delete my details",
    "I need to remove my ex from the tenancy", "clear my debts", "forget about it",
    "forget what I said about drinking",
])
def test_other_sentences_with_those_words_are_not_requests(text):
    assert not asks_to_erase(text)


async def test_a_request_to_delete_is_confirmed_first_and_says_what_goes(handoff):
    said, messages, slots = await converse(tracker("please delete my data", "out_of_scope",
                                                   {**STORY, "booking": BOOKING}))
    assert said == ["utter_confirm_erase_with_booking"] and messages[0]["worker_name"] == "Amina"
    assert slots["triage_stage"] == "erase_confirm" and slots["stage_before_erase"] == "explore"
    assert handoff.sent("/api/v1/erasures") == []


async def test_yes_erases_everywhere_and_forgets_every_slot(handoff):
    state = {**STORY, "triage_stage": "erase_confirm", "stage_before_erase": "explore"}
    handoff.erasure = {"erased": {"handoffs": 1}}
    dispatcher = CollectingDispatcher()
    from actions.triage import ActionConverse
    events = await ActionConverse().run(dispatcher, tracker("/affirm", "affirm", state, sender="whatsapp:+447700900123"), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_erased"]
    assert handoff.sent("/api/v1/erasures") == [{"conversation_id": "whatsapp:+447700900123"}]
    assert events == [{"event": "reset_slots", "timestamp": None}]


async def test_no_keeps_everything_and_carries_on_where_they_were(handoff):
    state = {**STORY, "triage_stage": "erase_confirm", "stage_before_erase": "explore"}
    said, _, slots = await converse(tracker("/deny", "deny", state))
    assert said == ["utter_erase_kept", "utter_explore_work"]
    assert slots["triage_stage"] == "explore" and handoff.sent("/api/v1/erasures") == []


async def test_if_the_service_is_down_nothing_is_forgotten_and_they_are_told_how_else(handoff):
    handoff.fail = True
    state = {**STORY, "triage_stage": "erase_confirm", "stage_before_erase": "explore"}
    said, _, slots = await converse(tracker("/affirm", "affirm", state))
    assert said == ["utter_erase_failed"] and slots["triage_stage"] == "explore"
    assert "needs" not in slots  # no reset


FUTURE = {**BOOKING, "start": "2099-11-24T10:00:00+00:00"}


async def run_reminder(action, slots):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker("", "session_start", slots), {})
    return dispatcher.messages, events


async def test_a_due_reminder_names_the_worker_time_and_way_and_carries_the_template():
    messages, events = await run_reminder(ActionRemind(), {"booking": FUTURE})
    [message] = messages
    assert message["response"] == "utter_reminder_day_before"
    assert events == [{"event": "action", "name": "action_listen", "policy": None, "confidence": None,
                       "timestamp": None}]  # else the next message matches no rule (then_listen)
    assert message["worker_name"] == "Amina" and message["appointment_mode"] == "phone"
    assert message["appointment_time"] == "Tuesday 24 November at 10:00"
    assert message["custom"] == {"whatsapp_template": {
        "kind": "reminder", "parameters": ["Amina", "Tuesday 24 November at 10:00"]}}


async def test_two_hours_before_has_its_own_action_and_words():
    assert ActionRemindTwoHours().name() == "action_remind_two_hours"
    messages, _ = await run_reminder(ActionRemindTwoHours(), {"booking": FUTURE})
    assert [m["response"] for m in messages] == ["utter_reminder_two_hours"]


@pytest.mark.parametrize("slots", [
    {"booking": None},                                   # cancelled or erased here
    {"booking": {**BOOKING, "start": "2020-11-24T10:00:00+00:00"}},  # already past
    {"booking": FUTURE, "resident_contact": {"contact": "07700900123", "preferred_contact": "phone",
                                             "safe_contact": "Do not text"}},
])
async def test_no_reminder_for_a_stale_booking_or_when_texting_is_unsafe(slots):
    messages, events = await run_reminder(ActionRemind(), slots)
    assert messages == []
    assert [e["name"] for e in events if e["event"] == "action"] == ["action_listen"]
