"""Two DIETs vote on the intent: the mean of their rankings (bot/ensemble.py)."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.ensemble import FIRST_RANKING, AverageIntentRankings, KeepFirstIntentRanking


def ranking(**confidences: float):
    return [{"name": name, "confidence": value} for name, value in confidences.items()]


def voted(first, second, one_reading_enough=()) -> Message:
    message = Message(data={TEXT: "electric and gas is the problem"})
    message.set(INTENT_RANKING_KEY, first)
    KeepFirstIntentRanking().process([message])
    message.set(INTENT, second[0])
    message.set(INTENT_RANKING_KEY, second)  # what the second DIET writes over the first
    AverageIntentRankings({"one_reading_enough": list(one_reading_enough)}).process([message])
    return message


def test_a_risk_only_one_model_reads_is_softened_below_acting():
    message = voted(ranking(risk_no_food_or_heating=0.87, inform=0.12, nothing_else=0.01),
                    ranking(inform=0.99, skip=0.01))
    assert message.get(INTENT) == {"name": "inform", "confidence": pytest.approx(0.555)}
    assert message.get(INTENT_RANKING_KEY)[1] == {"name": "risk_no_food_or_heating",
                                                 "confidence": pytest.approx(0.435)}
    assert FIRST_RANKING not in message.data  # nothing extra reaches /model/parse


def test_a_risk_both_models_read_stays_confident():
    message = voted(ranking(risk_suicide_self_harm=0.97, inform=0.03),
                    ranking(risk_suicide_self_harm=0.91, risk_harm_from_others=0.09))
    assert message.get(INTENT)["name"] == "risk_suicide_self_harm"
    assert message.get(INTENT)["confidence"] == pytest.approx(0.94)
    assert [r["name"] for r in message.get(INTENT_RANKING_KEY)] == [
        "risk_suicide_self_harm", "risk_harm_from_others", "inform"]


def test_a_danger_to_life_needs_only_one_models_reading():
    first = ranking(risk_suicide_self_harm=0.8, inform=0.2)
    second = ranking(inform=0.9, risk_suicide_self_harm=0.1)
    message = voted(first, second, one_reading_enough=["risk_suicide_self_harm"])
    assert message.get(INTENT) == {"name": "risk_suicide_self_harm", "confidence": pytest.approx(0.8)}
    assert voted(first, second).get(INTENT)["name"] == "inform"  # the plain mean would not act
