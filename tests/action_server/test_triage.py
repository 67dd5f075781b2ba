"""Gentle questioning: consent, the open question, exploring areas not yet mentioned, playback
with correction, what matters most, what they want — each step as the resident sees it."""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.safeguarding import ActionRaiseUrgent
from tests.action_server.conftest import need, presenting, slot_values, tracker
from tests.action_server.helpers import converse


async def test_a_first_message_is_welcomed_and_consent_is_asked(handoff):
    said, _, slots = await converse(tracker("im in rent arrears", "inform", entities=[presenting("rent_arrears")]))
    assert said == ["utter_welcome", "utter_ask_consent"]
    assert slots["presenting_issue"] == "rent_arrears" and slots["triage_stage"] == "consent"


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
    assert said == ["utter_ask_consent_again"] and "consent" not in slots
    said, _, slots = await converse(tracker("hmm", "inform", {"triage_stage": "consent", "reprompts": 1}))
    assert said[0] == "utter_consent_declined" and slots["consent"] is False


STORY = {"triage_stage": "story", "consent": True, "presenting_issue": "rent_arrears"}


async def test_the_story_is_reflected_then_the_likeliest_unmentioned_area_is_asked(handoff):
    said, messages, slots = await converse(tracker(
        "my universal credit stopped and ive been drinking a lot", "inform", STORY,
        [need("benefits"), need("substance_use")]))
    assert said == ["utter_reflect_needs", "utter_explore_money"]
    assert "sorting out your benefits" in messages[0]["needs_heard"]
    assert slots["needs"] == ["benefits", "substance_use"]
    assert slots["in_their_words"][0]["needs"] == ["benefits", "substance_use"]
    # neither benefits nor drinking is asked about again: both are already known
    assert slots["explored_areas"] == ["money"]


async def test_an_answer_that_reveals_a_need_is_kept_and_the_next_area_asked(handoff):
    state = {**STORY, "triage_stage": "explore", "needs": ["benefits"], "explored_areas": ["money"],
             "asking_area": "money"}
    said, _, slots = await converse(tracker("we use the food bank most weeks", "inform", state,
                                            [need("food_fuel")]))
    assert slots["needs"] == ["benefits", "food_fuel"]
    assert said == ["utter_explore_work"] and slots["explored_areas"] == ["money", "work"]


async def test_after_a_few_areas_one_broader_question_names_the_rest(handoff):
    state = {**STORY, "triage_stage": "explore", "needs": ["benefits"],
             "explored_areas": ["money", "work", "family"]}
    said, messages, slots = await converse(tracker("no that's fine", "deny", state))
    assert said == ["utter_explore_anything_else"]
    assert "your health or mood" in messages[0]["areas"]


async def test_thats_all_stops_the_questions_and_plays_back(handoff):
    state = {**STORY, "triage_stage": "explore", "needs": ["benefits", "employment"],
             "explored_areas": ["money"]}
    said, messages, slots = await converse(tracker("thats all really", "nothing_else", state))
    # two needs heard: the playback also asks which matters most, one button per need
    assert said == ["utter_playback_choose"]
    assert messages[0]["needs_heard"] == "sorting out your benefits and finding work or more hours"
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/inform{"need": "benefits"}', '/inform{"need": "employment"}', "/deny"]


async def test_with_one_need_the_playback_only_asks_if_it_is_right(handoff):
    state = {**STORY, "triage_stage": "explore", "needs": ["benefits"], "explored_areas": ["money"]}
    said, messages, _ = await converse(tracker("thats all", "nothing_else", state))
    assert said == ["utter_playback"]  # its Yes / Not quite buttons are in the domain


async def test_rent_arrears_and_nothing_more_is_played_back_as_a_debt_to_plan_for(handoff):
    state = {**STORY, "triage_stage": "explore", "explored_areas": ["benefits"]}
    said, messages, slots = await converse(tracker("no thats everything", "nothing_else", state))
    assert said == ["utter_playback"]
    assert messages[0]["needs_heard"] == "managing money and debts"
    assert slots["needs"] == ["money_management"]
    # unless they already told us that was wrong
    said, _, slots = await converse(tracker("no thats everything", "nothing_else",
                                            {**state, "declined_needs": ["money_management"]}))
    assert "utter_playback" not in said and "needs" not in slots


PLAYBACK = {**STORY, "triage_stage": "playback", "needs": ["benefits", "substance_use", "employment"],
            "in_their_words": [{"text": "uc stopped and drinking", "needs": ["benefits", "substance_use"]}]}


async def test_a_correct_playback_leads_to_which_need_matters_most(handoff):
    said, messages, slots = await converse(tracker("yes thats right", "affirm", PLAYBACK))
    assert said == ["utter_ask_priority"]
    assert [b["payload"] for b in messages[0]["buttons"]][0] == '/inform{"need": "benefits"}'
    assert all(len(b["title"]) <= 20 for b in messages[0]["buttons"])


async def test_choosing_a_need_at_the_playback_confirms_it_and_sets_the_priority(handoff):
    said, _, slots = await converse(tracker('/inform{"need": "employment"}', "inform", PLAYBACK,
                                            [need("employment")]))
    assert slots["priority_need"] == "employment"
    assert slots["needs"] == ["employment", "benefits", "substance_use"]
    assert said == ["utter_ask_what_they_want"]


async def test_naming_a_need_not_yet_heard_at_the_playback_is_a_correction_not_a_choice(handoff):
    said, _, slots = await converse(tracker("the rent arrears too, and my kids nursery", "inform",
                                            PLAYBACK, [need("childcare")]))
    assert "childcare" in slots["needs"] and not slots.get("priority_need")
    assert said == ["utter_playback_corrected_choose"]


async def test_no_not_the_drinking_removes_it_and_plays_back_again(handoff):
    said, messages, slots = await converse(tracker("no, not the drinking", "deny", PLAYBACK,
                                                   [need("substance_use")]))
    assert slots["needs"] == ["benefits", "employment"]
    assert slots["declined_needs"] == ["substance_use"]
    assert slots["in_their_words"][0]["needs"] == ["benefits"]
    assert said == ["utter_playback_corrected_choose"]


async def test_a_plain_no_asks_what_was_wrong(handoff):
    said, _, slots = await converse(tracker("no", "deny", PLAYBACK))
    assert said == ["utter_ask_correction"] and slots["triage_stage"] == "correct"
    said, _, slots = await converse(tracker("it's not the job, i have work", "inform",
                                            {**PLAYBACK, "triage_stage": "correct"}, [need("employment")]))
    assert slots["needs"] == ["benefits", "substance_use"]


async def test_the_chosen_priority_leads_the_needs_then_what_they_want_is_asked(handoff):
    said, _, slots = await converse(tracker('/inform{"need": "employment"}', "inform",
                                            {**PLAYBACK, "triage_stage": "priority"}, [need("employment")]))
    assert slots["priority_need"] == "employment"
    assert slots["needs"][0] == "employment"
    assert said == ["utter_ask_what_they_want"]


async def test_what_they_want_is_kept_then_booking_begins(handoff):
    said, _, slots = await converse(tracker("a plan to pay the rent back", "inform",
                                            {**PLAYBACK, "triage_stage": "wants"}))
    assert slots["what_they_want"] == "a plan to pay the rent back"
    assert said == ["utter_ask_mode"]


async def test_without_consent_we_do_not_ask_for_more_than_the_booking_needs(handoff):
    said, _, _ = await converse(tracker("yes", "affirm", {**PLAYBACK, "consent": False, "needs": ["debt"]}))
    assert said == ["utter_ask_mode"]


async def test_skip_moves_on_without_pressing(handoff):
    said, _, slots = await converse(tracker("rather not say", "skip", {**STORY, "needs": []}))
    assert said[0] == "utter_thats_ok" and slots["triage_stage"] == "explore"


async def test_asking_for_a_person_goes_straight_to_booking(handoff):
    said, _, _ = await converse(tracker("can i just talk to a real person", "request_human", STORY))
    assert said == ["utter_straight_to_booking", "utter_ask_mode"]


async def test_yes_to_the_urgent_call_back_tells_the_duty_worker_then_carries_on(handoff):
    offer = [{"event": "bot", "text": "call you back?",
              "metadata": {"utter_action": "utter_offer_urgent_callback"}}]
    said, _, _ = await converse(tracker("yes please", "affirm", {**STORY, "risks": ["homeless_tonight"]},
                                        events=offer))
    assert said == ["utter_callback_confirmed", "utter_carry_on", "utter_ask_story"]
    alert = handoff.sent("/api/v1/urgent")[0]
    assert alert["callback_requested"] is True and alert["risks"] == ["homeless_tonight"]


async def test_the_urgent_action_records_the_risk_and_alerts_without_speaking(handoff):
    dispatcher = CollectingDispatcher()
    t = tracker("ive got nowhere to sleep tonight", "risk_homeless_tonight", STORY,
                [{"entity": "risk", "value": "homeless_tonight"}])
    events = await ActionRaiseUrgent().run(dispatcher, t, {})
    assert dispatcher.messages == []
    assert slot_values(events)["risks"] == ["homeless_tonight"]
    assert handoff.sent("/api/v1/urgent")[0]["risks"] == ["homeless_tonight"]
    # the later booking summary completes this same handoff rather than opening a second
    assert slot_values(events)["handoff_id"] == "55"


@pytest.mark.parametrize("risk", ["suicide_self_harm", "homeless_tonight"])
async def test_danger_that_reaches_the_conversation_action_is_answered_as_the_rules_would(handoff, risk):
    # normally the risk rules answer first; after an action run from outside with no listen
    # between, no rule matches and the policy's fallback brings the message here
    said, _, slots = await converse(tracker("...", f"risk_{risk}", STORY, [{"entity": "risk", "value": risk}]))
    assert said == [f"utter_risk_{risk}", "utter_offer_urgent_callback"]
    assert slots["risks"] == [risk] and handoff.sent("/api/v1/urgent")[0]["risks"] == [risk]


async def test_back_after_a_break_is_offered_to_carry_on_where_they_left_off(handoff):
    paused = {**PLAYBACK, "triage_stage": "resume", "paused_stage": "explore", "asking_area": "work"}
    said, messages, _ = await converse(tracker("hello?", "greet", paused))
    assert said == ["utter_welcome_back_mid_conversation"]
    said, _, slots = await converse(tracker("yes", "affirm", paused))
    assert said == ["utter_explore_work"] and slots["triage_stage"] == "explore"


def session_break(stage_slots):
    """Events as Rasa's tracker store loads them after a new session started: this session only."""
    return [{"event": "session_started"}, {"event": "action", "name": "action_listen"}]


async def test_the_first_message_after_a_break_offers_to_carry_on(handoff):
    state = {**PLAYBACK, "triage_stage": "explore", "asking_area": "work"}
    said, _, slots = await converse(tracker("hi", "greet", state, events=session_break(state)))
    assert said == ["utter_welcome_back_mid_conversation"]
    assert slots["paused_stage"] == "explore" and slots["triage_stage"] == "resume"


async def test_a_break_within_a_session_changes_nothing(handoff):
    state = {**STORY, "triage_stage": "explore", "needs": ["benefits"], "explored_areas": ["money"]}
    events = [{"event": "user", "text": "earlier", "parse_data": {}}, {"event": "session_started"},
              {"event": "user", "text": "x", "parse_data": {}}, {"event": "action", "name": "action_converse"}]
    said, _, slots = await converse(tracker("no", "deny", state, events=events))
    assert "paused_stage" not in slots and said[0].startswith("utter_explore")


async def test_a_correction_counts_whatever_intent_the_words_were_given(handoff):
    said, _, slots = await converse(tracker("no not the benefits", "inform", PLAYBACK, [need("benefits")]))
    assert slots["needs"] == ["substance_use", "employment"] and said == ["utter_playback_corrected_choose"]


async def test_a_correction_naming_a_need_in_plain_words_removes_it(handoff):
    _, _, slots = await converse(tracker("no its not the drinking", "deny", PLAYBACK))
    assert slots["needs"] == ["benefits", "employment"]


@pytest.mark.parametrize("confidence, next_step", [(0.37, "utter_explore_"), (0.95, "utter_playback")])
async def test_only_a_sure_thats_all_ends_the_questions(handoff, confidence, next_step):
    state = {**STORY, "triage_stage": "explore", "needs": ["employment"], "explored_areas": ["benefits", "money"],
             "asking_area": "money"}
    message = tracker("i dont really handle it, he does all that", "nothing_else", state)
    message.latest_message["intent"]["confidence"] = confidence
    said, _, _ = await converse(message)
    assert said[0].startswith(next_step)


async def test_an_area_said_to_be_fine_adds_no_need(handoff):
    state = {**STORY, "triage_stage": "explore", "needs": ["housing_move"], "explored_areas": ["benefits"],
             "asking_area": "benefits"}
    _, _, slots = await converse(tracker("I have UC and child benefit, is ok no problem", "inform", state,
                                         [need("benefits")]))
    assert "needs" not in slots


async def test_an_area_with_trouble_despite_ok_words_adds_the_need(handoff):
    state = {**STORY, "triage_stage": "explore", "needs": ["housing_move"], "explored_areas": ["benefits"],
             "asking_area": "benefits"}
    _, _, slots = await converse(tracker("its ok but they cut my uc last month", "inform", state,
                                         [need("benefits")]))
    assert slots["needs"] == ["housing_move", "benefits"]


@pytest.mark.parametrize("answer", ["my mental health is not good", "not ok tbh, my anxiety is bad",
                                    "im not managing with my nerves", "no good, depression is back"])
async def test_reassuring_words_said_with_a_not_are_trouble(handoff, answer):
    state = {**STORY, "triage_stage": "explore", "needs": ["benefits"], "explored_areas": ["health"],
             "asking_area": "health"}
    _, _, slots = await converse(tracker(answer, "inform", state, [need("mental_health")]))
    assert slots["needs"] == ["benefits", "mental_health"]


def spans(text: str, *cues: Tuple[str, str]) -> List[Dict[str, Any]]:
    """Need entities at the offsets of their words, as Rasa sends them."""
    return [{"entity": "need", "value": value, "start": text.index(words), "end": text.index(words) + len(words)}
            for words, value in cues]


async def test_a_need_they_say_is_over_and_fine_is_not_added_whatever_was_asked(handoff):
    text = ("I clean offices in the morning only, because nursery is too expensive. "
            "Their dad is in Poland, we separated long time ago, is fine")
    state = {**STORY, "triage_stage": "explore", "needs": ["housing_move"], "asking_area": None,
             "explored_areas": ["money", "benefits", "home", "anything_else"]}
    _, _, slots = await converse(tracker(text, "inform", state, spans(
        text, ("nursery", "childcare"), ("separated", "relationship_breakdown"))))
    assert slots["needs"] == ["housing_move", "childcare"]


@pytest.mark.parametrize("text, words, value", [
    ("Im fine, just lonely since my husband died", "husband died", "relationship_breakdown"),
    ("drinking a bit more than i should but its ok", "drinking", "substance_use"),
    ("lost my job years ago but its fine now", "lost my job", "employment"),
])
async def test_fine_words_that_do_not_close_a_settled_matter_keep_the_need(handoff, text, words, value):
    state = {**STORY, "triage_stage": "explore", "needs": ["housing_move"], "asking_area": None,
             "explored_areas": ["money", "benefits", "home", "anything_else"]}
    _, _, slots = await converse(tracker(text, "inform", state, spans(text, (words, value))))
    assert slots["needs"] == ["housing_move", value]


async def test_a_debt_is_itself_a_money_need(handoff):
    _, _, slots = await converse(tracker("i owe loads on catalogues", "inform", entities=[presenting("debt")]))
    assert slots["presenting_issue"] == "debt" and slots["needs"] == ["money_management"]


async def test_after_a_risk_the_story_it_told_is_not_asked_for_again(handoff):
    offer = [{"event": "bot", "text": "call you back?",
              "metadata": {"utter_action": "utter_offer_urgent_callback"}}]
    state = {**STORY, "needs": ["benefits"], "risks": ["no_food_or_heating"]}
    said, _, _ = await converse(tracker("no thanks", "deny", state, events=offer))
    assert said[:2] == ["utter_carry_on", "utter_reflect_needs"] and said[2].startswith("utter_explore")


async def test_a_brand_new_conversation_is_not_a_break(handoff):
    said, _, _ = await converse(tracker("hi", "greet", {}, events=session_break({})))
    assert said == ["utter_welcome", "utter_ask_consent"]


async def test_a_language_they_ask_for_is_kept(handoff):
    _, _, slots = await converse(tracker("my english not good, i speak polish", "inform", STORY))
    assert slots["language"] == "pl"


async def test_a_no_elsewhere_in_the_message_takes_no_need_back(handoff):
    said, _, slots = await converse(tracker(
        "i applied for UC top up but they stopped it saying i earned too much, makes no sense",
        "inform", PLAYBACK, [need("benefits")]))
    assert "benefits" in slots.get("needs", PLAYBACK["needs"])
    assert "benefits" not in (slots.get("declined_needs") or [])


@pytest.mark.parametrize("text, need_id, takes_back", [
    ("no, not the drinking", "substance_use", True),
    ("its not the job, i have work", "employment", True),
    ("the benefits are not the problem", "benefits", True),
    ("work is fine", "employment", True),
    ("yes and UC is no help at all", "benefits", False),
    ("UC is not paying enough", "benefits", False),
    ("uc stopped and its a problem, no joke", "benefits", False),
    ("no not the work or the childcare or the repairs", "housing_conditions", True),
    ("no not the work or the childcare or the repairs", "employment", True),
    ("not the drinking but the work yes", "employment", False),
    ("no, I need help with work", "employment", False),
])
def test_a_need_is_taken_back_only_by_words_about_that_need(text, need_id, takes_back):
    from actions.need import denied
    assert denied(text, need_id) is takes_back
