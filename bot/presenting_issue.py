"""Rasa NLU component: DIET's presenting-issue intents folded into `inform`.

The conversation answers "i'm behind on my rent" exactly as it answers any other part of the
story, and the same words open a conversation or come later in it, so the dialogue has one
intent for both: `inform`. DIET still learns the six presenting issues (`report_*`) as classes
of their own, because they keep apart the calm stories that sit nearest the risk intents ("got
a section 21", "the meter's run out again"): a model trained with them folded into `inform`
gave 21 false alarms on the 310 calm messages of the fourth blind set instead of 13.

So this component, right after DIET and before the FallbackClassifier, adds each `report_*`
confidence to `inform` (DIET being torn between "debt" and "inform" is not an unclear message)
and keeps DIET's best presenting issue as a `presenting_issue` entity. CueEntityExtractor then
keeps one presenting issue per message: the most specific of DIET's and the rule cues'.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.taxonomy import PRESENTING_ISSUES

INFORM = "inform"
PRESENTING_INTENT_PREFIX = "report_"


def presenting_issue_of_intent(intent_name: str) -> Optional[str]:
    if intent_name.startswith(PRESENTING_INTENT_PREFIX):
        candidate = intent_name[len(PRESENTING_INTENT_PREFIX):]
        return candidate if candidate in PRESENTING_ISSUES else None
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class PresentingIssueIntents(GraphComponent):
    """`report_*` intents become `inform` plus a `presenting_issue` entity."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "PresentingIssueIntents":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            fold(message)
        return messages


def _is_inform(name: Optional[str]) -> bool:
    return name == INFORM or presenting_issue_of_intent(name or "") is not None


def fold(message: Message) -> None:
    intent = message.get(INTENT) or {}
    ranking = message.get(INTENT_RANKING_KEY) or ([intent] if intent else [])
    if not any(presenting_issue_of_intent(r.get(INTENT_NAME_KEY) or "") for r in ranking):
        return
    inform = sum(float(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0) for r in ranking if _is_inform(r.get(INTENT_NAME_KEY)))
    folded = [r for r in ranking if not _is_inform(r.get(INTENT_NAME_KEY))]
    folded.append({INTENT_NAME_KEY: INFORM, PREDICTED_CONFIDENCE_KEY: inform})
    folded.sort(key=lambda r: -float(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0))
    message.set(INTENT_RANKING_KEY, folded, add_to_output=True)
    # A risk intent DIET is sure enough to act on (CueEntityExtractor's threshold is above 0.5)
    # stays first; anything less sure than the folded inform was never going to be acted on.
    message.set(INTENT, folded[0], add_to_output=True)
    issue = presenting_issue_of_intent(intent.get(INTENT_NAME_KEY) or "")
    if issue:
        text = message.get(TEXT) or ""
        message.set(ENTITIES, message.get(ENTITIES, []) + [{
            ENTITY_ATTRIBUTE_TYPE: "presenting_issue", ENTITY_ATTRIBUTE_VALUE: issue,
            ENTITY_ATTRIBUTE_START: 0, ENTITY_ATTRIBUTE_END: len(text),
            ENTITY_ATTRIBUTE_CONFIDENCE: float(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0),
            "text": text, EXTRACTOR: "DIETClassifier"}], add_to_output=True)
