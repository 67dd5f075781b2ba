"""Rasa NLU components: two DIET classifiers, trained with different seeds, vote on the intent.

One DIET gives a few calm messages a confident risk intent, and which ones changes with every
retrain: "Electric and gas is the problem" was no_food_or_heating at 0.87 from one model and
inform at 1.0 from the one before. A second DIET with another seed makes different mistakes,
so the average of the two intent rankings keeps what both read and softens what only one does.

    - name: DIETClassifier            # the first reading (and the need entities)
    - name: bot.ensemble.KeepFirstIntentRanking
    - name: DIETClassifier            # another random_seed, entity_recognition: false
    - name: bot.ensemble.AverageIntentRankings
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

FIRST_RANKING = "first_intent_ranking"


class _NotTrained(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> GraphComponent:
        return cls()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class KeepFirstIntentRanking(_NotTrained):
    """Sets aside the first DIET's ranking, which the second DIET would overwrite."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            message.set(FIRST_RANKING, message.get(INTENT_RANKING_KEY) or [])
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class AverageIntentRankings(GraphComponent):
    """The intent and ranking become the mean of the two DIETs' confidences, except for the
    intents named in `one_reading_enough`, which take the higher of the two."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"one_reading_enough": []}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._one_reading_enough = frozenset(config.get("one_reading_enough") or [])

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "AverageIntentRankings":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            average(message, self._one_reading_enough)
        return messages


def average(message: Message, one_reading_enough: frozenset = frozenset()) -> None:
    rankings = [message.get(FIRST_RANKING) or [], message.get(INTENT_RANKING_KEY) or []]
    if not all(rankings):
        return  # one reading only (an empty message): nothing to average
    readings: Dict[str, List[float]] = {}
    for ranking in rankings:
        for entry in ranking:
            readings.setdefault(entry.get(INTENT_NAME_KEY), []).append(
                float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0.0))
    # an intent outside one model's top ten counts as nought from that model
    averaged = sorted(({INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY:
                        max(values) if name in one_reading_enough else sum(values) / len(rankings)}
                       for name, values in readings.items()), key=lambda r: -r[PREDICTED_CONFIDENCE_KEY])
    message.set(INTENT_RANKING_KEY, averaged, add_to_output=True)
    message.set(INTENT, dict(averaged[0]), add_to_output=True)
    message.data.pop(FIRST_RANKING, None)
