"""The presenting issue: an entity from DIET's report_* class (folded into inform) and the cues of
bot/cues/presenting_issues.yml, the most specific one when a message names several."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.presenting_issue import fold
from tests.test_cue_extractor import parse, values


def classified(ranking):
    message = Message(data={TEXT: "owe loads"})
    message.set(INTENT, ranking[0])
    message.set(INTENT_RANKING_KEY, ranking)
    message.set(ENTITIES, [])
    fold(message)
    return message


def test_diet_torn_between_an_issue_and_inform_is_sure_of_inform_and_names_the_issue():
    message = classified([{"name": "report_debt", "confidence": 0.4}, {"name": "inform", "confidence": 0.35},
                          {"name": "greet", "confidence": 0.25}])
    assert message.get(INTENT) == {"name": "inform", "confidence": 0.75}
    assert [r["name"] for r in message.get(INTENT_RANKING_KEY)] == ["inform", "greet"]
    assert values(message, "presenting_issue") == ["debt"]


def test_a_sure_risk_intent_stays_first_and_names_no_issue():
    message = classified([{"name": "risk_no_food_or_heating", "confidence": 0.7},
                          {"name": "report_cost_of_living", "confidence": 0.2}, {"name": "inform", "confidence": 0.1}])
    assert message.get(INTENT)["name"] == "risk_no_food_or_heating"
    assert message.get(INTENT_RANKING_KEY)[1] == {"name": "inform", "confidence": pytest.approx(0.3)}
    assert values(message, "presenting_issue") == []


def test_a_message_with_no_issue_in_its_ranking_is_left_alone():
    ranking = [{"name": "greet", "confidence": 0.9}, {"name": "inform", "confidence": 0.1}]
    message = classified(ranking)
    assert message.get(INTENT) == ranking[0] and message.get(INTENT_RANKING_KEY) == ranking


def test_diet_and_a_cue_naming_different_issues_keep_the_more_specific(nlp):
    diet = {"entity": "presenting_issue", "value": "debt", "start": 0, "end": 20, "extractor": "DIETClassifier"}
    message = parse(nlp, "got a section 21 and loads of debts", entities=[diet])
    assert values(message, "presenting_issue") == ["eviction_notice"]


@pytest.mark.parametrize("text, issue", [
    ("im in rent arrears", "rent_arrears"),
    ("Behind on my rent since the summer", "rent_arrears"),
    ("we're 3 months behind with the rent", "rent_arrears"),
    ("i cant pay the rent this month", "rent_arrears"),
    ("struggling to pay my rent", "rent_arrears"),
    ("i owe the housing association about 900 in rent", "rent_arrears"),
    ("the rent went up and now im behind", "rent_arrears"),
    ("missed two months rent", "rent_arrears"),
    ("council tax", "council_tax_arrears"),
    ("got a summons for my counsil tax", "council_tax_arrears"),
    ("i'm in debt", "debt"),
    ("owe loads on klarna and my credit card", "debt"),
    ("payday loans, 3 of them", "debt"),
    ("got a section 21 today", "eviction_notice"),
    ("my landlord gave us notice, he wants the flat back", "eviction_notice"),
    ("im being evicted", "eviction_notice"),
    ("evicshun letter", "eviction_notice"),
    ("got a notice to quit from the council", "eviction_notice"),
    ("my uc has been stopped", "benefits_stopped"),
    ("they stopped my PIP after the assessment", "benefits_stopped"),
    ("got sanctioned", "benefits_stopped"),
    ("universal credit payment never arrived", "benefits_stopped"),
    ("the cost of living is killing us", "cost_of_living"),
    ("everything's gone up and my wages dont cover it", "cost_of_living"),
    ("the prepayment meter keeps running out", "cost_of_living"),
    ("cant afford food", "cost_of_living"),
])
def test_each_presenting_issue_is_an_entity_valued_with_its_id(nlp, text, issue):
    assert values(parse(nlp, text), "presenting_issue") == [issue]


@pytest.mark.parametrize("text, issue", [
    # the notice is what is urgent; the arrears behind it are still heard in the story
    ("got a section 21 because i fell behind on the rent", "eviction_notice"),
    ("behind on rent and now the landlord has served notice", "eviction_notice"),
    # arrears that are named beat debt in general
    ("i owe council tax and a few loans", "council_tax_arrears"),
    ("i owe rent", "rent_arrears"),
    ("in debt and my uc was stopped", "benefits_stopped"),
])
def test_a_message_naming_several_keeps_only_the_most_specific(nlp, text, issue):
    assert values(parse(nlp, text), "presenting_issue") == [issue]


@pytest.mark.parametrize("text", [
    "i paid my rent on time this month",
    "the rent is 950 a month",
    "my partner left and i'm on my own with the kids",
    "the flat is full of mould",
    "i'd like help finding work",
    "hello",
])
def test_no_issue_is_named_where_none_is(nlp, text):
    assert values(parse(nlp, text), "presenting_issue") == []
