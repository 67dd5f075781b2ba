"""The trained model's rules, on trackers built by hand: what the policy predicts, turn by turn.

A message normally arrives after a listen. Rasa's execute endpoint (the handoff service's reminders)
runs one action without a listen after it; a message arriving then matches no rule, and RulePolicy's
fallback predicts the conversation action. Before the "after the conversation action, listen" rule,
that fallback was predicted again after itself until Rasa's circuit breaker: ten replies per message.
"""
from __future__ import annotations

from typing import List

import pytest

from tests.conftest import trained_model

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import Agent

    return Agent.load(str(trained_model()))


def predicted(agent, before_the_message: List[str], intent: str) -> List[str]:
    """The actions the policy runs for one message (at most 6), after a booked conversation."""
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    def user(name: str) -> UserUttered:
        return UserUttered("...", intent={"name": name, "confidence": 0.9})

    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
              user("greet"), ActionExecuted("action_converse"), ActionExecuted("action_listen"),
              user("choose_slot"), ActionExecuted("action_converse")]
    events += [ActionExecuted(name) for name in before_the_message] + [user(intent)]
    tracker = DialogueStateTracker.from_events("rules-test", events, slots=agent.domain.slots)
    actions: List[str] = []
    while len(actions) < 6 and actions[-1:] != ["action_listen"]:
        prediction = agent.processor._predict_next_with_tracker(tracker)
        actions.append(agent.domain.action_names_or_texts[prediction.max_confidence_index])
        tracker.update(ActionExecuted(actions[-1]))
    return actions


@pytest.mark.parametrize("intent", ["reschedule_booking", "inform", "nlu_fallback", "goodbye"])
def test_after_a_listen_the_conversation_action_answers_once(agent, intent):
    assert predicted(agent, ["action_listen"], intent) == ["action_converse", "action_listen"]


@pytest.mark.parametrize("intent", ["reschedule_booking", "inform", "risk_suicide_self_harm"])
def test_a_message_after_an_action_run_from_outside_gets_one_reply_not_ten(agent, intent):
    # the reminder itself now ends with a listen (actions/reminder.py); this is the net under it
    assert predicted(agent, ["action_remind_day_before"], intent) == ["action_converse", "action_listen"]


def test_after_a_reminder_and_its_listen_the_risk_rule_answers(agent):
    assert predicted(agent, ["action_remind_day_before", "action_listen"], "risk_suicide_self_harm") == [
        "utter_risk_suicide_self_harm", "utter_offer_urgent_callback", "action_raise_urgent", "action_listen"]
