"""Rasa NLU component: need, risk and presenting-issue cues as entities with ids, and risk
carried into the intent.

It reads the cue spans that the spaCy pipeline's SpanRuler found (see bot/pipeline.py) and
DIET's `need` entities (whose role is the need id), and leaves on the message exactly one
`need` entity per need id, one `risk` entity per risk id and at most one `presenting_issue`
entity (the most specific the message names), each valued with the id.

Safety does not wait on a classifier's confidence: when any risk cue is present, the message's
intent becomes the intent of the most urgent risk, so the risk rules in data/rules fire in this
same turn, from domain responses, even if the action server is down.

A learned risk too unsure to act on (DIET's intent, or SentenceRiskClassifier's reading of one
part of a long message) is not simply dropped: it becomes one `risk_check` entity, valued with
the risk id, and the conversation action asks the resident about it in plain words
("Can I check: are you having thoughts of hurting yourself?"), bringing the risk response on a
yes (actions/risk_check.py). A question costs a calm resident one reply; silence could cost
much more.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Set, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_ROLE,
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

from bot.pipeline import IDIOM, NOW, PAST, SAFE, SHELTERED, SPANS_KEY, VETO
from bot.sentence_risk import sentence_bounds, sentences
from bot.taxonomy import NEED_IDS, PRESENTING_ISSUES, RISK_IDS, risk_intent, risk_of_intent

NEED = "need"
RISK = "risk"
RISK_CHECK = "risk_check"
PRESENTING = "presenting_issue"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class CueEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Needs and risks as id-valued entities; any risk decides the intent."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # A learned risk intent at or above this confidence also yields a `risk` entity;
            # below it only the rule cues count. Chosen with `make eval`.
            "intent_risk_threshold": 0.6,
            # A learned risk intent from this confidence up to `intent_risk_threshold`, with no
            # risk found, yields a `risk_check` entity: the assistant asks, it does not alarm.
            "risk_check_threshold": 0.3,
            # DIET tags short spans well but guesses their need (the role) less surely; a role
            # below this confidence is dropped (held-out need F1 0.75 -> 0.81 at 0.6).
            "need_role_threshold": 0.6,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        config = {**self.get_default_config(), **config}
        self._intent_risk_threshold = float(config["intent_risk_threshold"])
        self._risk_check_threshold = float(config["risk_check_threshold"])
        self._need_role_threshold = float(config["need_role_threshold"])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "CueEntityExtractor":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._process_message(message)
        return messages

    def _process_message(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        learned = [e for e in map(self._normalise_learned, message.get(ENTITIES, [])) if e is not None]
        intent_risks = self._intent_risk_entities(message, text)
        spans = _cue_spans(message)
        idioms = [(s.start_char, s.end_char) for s in spans if s.label_ == IDIOM]
        figure_of_speech = bool(idioms) and len(sentences(text)) <= 1
        if idioms:
            # "i'm kicking myself i didnt apply", "my mum will kill me if i'm late": a learned
            # reading of danger in the idiom's own sentence rests on the figure of speech. Rule
            # cues elsewhere in the message still stand, and so does a learned risk found in
            # another sentence.
            learned = [e for e in learned if e[ENTITY_ATTRIBUTE_TYPE] not in (RISK, RISK_CHECK)
                       or not any(_overlap(e, idiom) for idiom in idioms)]
            if figure_of_speech:
                intent_risks = []
        if _said_to_be_safe(spans, text):
            # "my sister's in a refuge now and she's safe": a learned reading of danger from
            # someone or of a child at risk becomes a question, not a crisis response
            learned, intent_risks = _safe_asks(learned), _safe_asks(intent_risks)
        found = self._rule_entities(spans, text) + learned + intent_risks
        entities = _dedupe(found + _needs_behind_risks(found, text))
        risks = [e[ENTITY_ATTRIBUTE_VALUE] for e in entities if e[ENTITY_ATTRIBUTE_TYPE] == RISK]
        # at most one question, and none when danger is already found or the words are figurative
        checks = [] if risks or figure_of_speech else self._risk_check_entities(message, text) + [
            e for e in entities if e[ENTITY_ATTRIBUTE_TYPE] == RISK_CHECK]
        entities = [e for e in entities if e[ENTITY_ATTRIBUTE_TYPE] != RISK_CHECK] + checks[:1]
        message.set(ENTITIES, entities, add_to_output=True)
        if risks:
            self._set_risk_intent(message, min(risks, key=RISK_IDS.index))
        else:
            self._demote_unsure_risk_intent(message)

    @staticmethod
    def _rule_entities(spans: List[Any], text: Text) -> List[Dict[Text, Any]]:
        vetoed: Set[int] = {i for s in spans if s.label_ in (VETO, IDIOM) for i in range(s.start, s.end)}
        in_the_past = _sentences_in_the_past(text, spans)
        labels = {s.label_ for s in spans}
        # "changed the locks while i was at work, i'm staying at my sister's": no night without a
        # bed, unless the message also says now ("...but she says i have to go tonight")
        somewhere_to_stay = SHELTERED in labels and NOW not in labels
        entities = []
        for span in sorted(spans, key=lambda s: s.start_char):
            if span.label_ == RISK and vetoed.intersection(range(span.start, span.end)):
                continue  # a near-miss such as "this rent is killing me lol"
            if span.label_ == RISK and any(a <= span.start_char < b for a, b in in_the_past):
                continue  # "took an overdose when i was 19, i'm 34 now with two kids"
            if span.label_ == RISK and span.id_ == "homeless_tonight" and somewhere_to_stay:
                continue
            if (span.label_, span.id_) not in _VALID:
                continue
            entities.append(
                {
                    ENTITY_ATTRIBUTE_TYPE: span.label_,
                    ENTITY_ATTRIBUTE_VALUE: span.id_,
                    ENTITY_ATTRIBUTE_START: span.start_char,
                    ENTITY_ATTRIBUTE_END: span.end_char,
                    ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
                    "text": span.text,
                    EXTRACTOR: "CueEntityExtractor",
                }
            )
        return entities

    def _normalise_learned(self, entity: Dict[Text, Any]) -> Optional[Dict[Text, Any]]:
        """DIET tags the cue span with entity `need` and the need id as role; value = the id."""
        if entity.get(ENTITY_ATTRIBUTE_TYPE) != NEED:
            return entity
        need_id = entity.get(ENTITY_ATTRIBUTE_ROLE) or entity.get(ENTITY_ATTRIBUTE_VALUE)
        if need_id not in NEED_IDS:
            return None  # a span without a usable id helps nobody downstream
        if entity.get("confidence_role", 1.0) < self._need_role_threshold:
            return None
        normalised = dict(entity)
        normalised["text"] = entity.get(ENTITY_ATTRIBUTE_VALUE)
        normalised[ENTITY_ATTRIBUTE_VALUE] = need_id
        return normalised

    def _intent_risk_entities(self, message: Message, text: Text) -> List[Dict[Text, Any]]:
        intent = message.get(INTENT) or {}
        risk_id = risk_of_intent(intent.get(INTENT_NAME_KEY) or "")
        confidence = intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0
        if risk_id is None or confidence < self._intent_risk_threshold:
            return []
        return [
            {
                ENTITY_ATTRIBUTE_TYPE: RISK,
                ENTITY_ATTRIBUTE_VALUE: risk_id,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(text),
                ENTITY_ATTRIBUTE_CONFIDENCE: confidence,
                "text": text,
                EXTRACTOR: "DIETClassifier",
            }
        ]

    def _risk_check_entities(self, message: Message, text: Text) -> List[Dict[Text, Any]]:
        """The likeliest learned risk, when it is too unsure to act on but too likely to let go:
        one `risk_check` entity for the conversation action to ask about."""
        unsure = [r for r in message.get(INTENT_RANKING_KEY, [])
                  if risk_of_intent(r.get(INTENT_NAME_KEY) or "")
                  and self._risk_check_threshold <= (r.get(PREDICTED_CONFIDENCE_KEY) or 0.0)]
        if not unsure:
            return []
        likeliest = max(unsure, key=lambda r: r.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
        return [
            {
                ENTITY_ATTRIBUTE_TYPE: RISK_CHECK,
                ENTITY_ATTRIBUTE_VALUE: risk_of_intent(likeliest[INTENT_NAME_KEY]),
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(text),
                ENTITY_ATTRIBUTE_CONFIDENCE: likeliest.get(PREDICTED_CONFIDENCE_KEY),
                "text": text,
                EXTRACTOR: "DIETClassifier",
            }
        ]

    @staticmethod
    def _demote_unsure_risk_intent(message: Message) -> None:
        """A learned risk intent below the threshold, with no rule cue, is not acted on.

        The rules answer the intent, so without this an unsure guess ("i take my tablets every
        morning") would bring a crisis response; the next likeliest non-risk intent stands.
        """
        intent = message.get(INTENT) or {}
        if risk_of_intent(intent.get(INTENT_NAME_KEY) or "") is None:
            return
        ranking = [r for r in message.get(INTENT_RANKING_KEY, [])
                   if risk_of_intent(r.get(INTENT_NAME_KEY) or "") is None]
        chosen = ranking[0] if ranking else {INTENT_NAME_KEY: "nlu_fallback", PREDICTED_CONFIDENCE_KEY: 0.0}
        message.set(INTENT, chosen, add_to_output=True)

    @staticmethod
    def _set_risk_intent(message: Message, risk_id: str) -> None:
        name = risk_intent(risk_id)
        intent = message.get(INTENT) or {}
        if intent.get(INTENT_NAME_KEY) == name:
            return
        ranking = [r for r in message.get(INTENT_RANKING_KEY, []) if r.get(INTENT_NAME_KEY) != name]
        chosen = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
        message.set(INTENT, chosen, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [chosen] + ranking, add_to_output=True)


_VALID = ({(NEED, n) for n in NEED_IDS} | {(RISK, r) for r in RISK_IDS}
          | {(PRESENTING, p) for p in PRESENTING_ISSUES if p != "other"})

# A danger also names the need behind it, so the worker's summary lists that need even when the
# words were all danger ("i've got the pills ready"): thoughts of suicide are a mental health
# need, no food or heating today is food_fuel, and danger from a partner, an ex or family (or an
# unnamed "he"/"she", which in these messages almost always is one) is domestic abuse. A threat
# from a neighbour, a gang or "them" is not ("they'll stab him": "him" is who is threatened), and
# a child at risk, a night without a bed or an eviction this week each have more than one need
# behind them, so they add none. Accepted: an unnamed "he" who is the one threatened ("...if he
# goes back to school") still reads as abuse at home; missing "he said he'll kill me" costs more.
_NEED_OF_RISK = {"suicide_self_harm": "mental_health", "no_food_or_heating": "food_fuel"}
_HOUSEHOLD = re.compile(
    r"\b(?:partner|husband|hubby|wife|ex|boyfriend|bf|girlfriend|gf|fianc[eé]e?|dad|father|stepdad|"
    r"step-dad|mum|mother|mom|brother|sister|son|daughter|uncle|in-laws?|family|he|she)\b", re.I)


def _needs_behind_risks(entities: List[Dict[Text, Any]], text: Text) -> List[Dict[Text, Any]]:
    needs = []
    for risk in (e for e in entities if e[ENTITY_ATTRIBUTE_TYPE] == RISK):
        need = _NEED_OF_RISK.get(risk[ENTITY_ATTRIBUTE_VALUE])
        if risk[ENTITY_ATTRIBUTE_VALUE] == "harm_from_others" and _HOUSEHOLD.search(text):
            need = "domestic_abuse"
        if need:
            needs.append({**risk, ENTITY_ATTRIBUTE_TYPE: NEED, ENTITY_ATTRIBUTE_VALUE: need,
                          EXTRACTOR: "CueEntityExtractor"})
    return needs


def _cue_spans(message: Message) -> List[Any]:
    """The spans the spaCy pipeline's SpanRuler found: need, risk, veto and idiom cues."""
    doc = message.get(SPACY_DOCS[TEXT])
    if doc is None or SPANS_KEY not in doc.spans:
        return []
    return list(doc.spans[SPANS_KEY])


def _sentences_in_the_past(text: Text, spans: List[Any]) -> List[tuple]:
    """Sentences with a time in the past ("years ago", "in 2021") and none of now ("again",
    "still", "tonight"): history, not danger now. Only rule cues are held back by this; the
    learned layers were trained on such histories and still weigh the whole sentence."""
    def has(label: str, a: int, b: int) -> bool:
        return any(s.label_ == label and a <= s.start_char < b for s in spans)

    return [(a, b) for a, b in sentence_bounds(text) if has(PAST, a, b) and not has(NOW, a, b)]


# The learned risks that "she's safe" turns into a question; the others (suicide, a night without
# a bed, bailiffs, no food) are not undone by someone being safe.
SAFE_ASKS = ("harm_from_others", "child_at_risk")
# "safe" then words that take it back: "i'm safe for now but he knows where i live", "we're safe?"
_SAFE_TAKEN_BACK = re.compile(r"^\W*(?:for now|for the moment|at the moment|right now|but|until|till|unless|\?)", re.I)


def _said_to_be_safe(spans: List[Any], text: Text) -> bool:
    """A `safe` marker ("she's safe") with no now-word in the message and nothing after it that
    takes it back."""
    if any(s.label_ == NOW for s in spans):
        return False
    return any(s.label_ == SAFE and not _SAFE_TAKEN_BACK.match(text[s.end_char:]) for s in spans)


def _safe_asks(entities: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """These entities with each learned risk of SAFE_ASKS made a question (`risk_check`)."""
    return [{**e, ENTITY_ATTRIBUTE_TYPE: RISK_CHECK}
            if e[ENTITY_ATTRIBUTE_TYPE] == RISK and e[ENTITY_ATTRIBUTE_VALUE] in SAFE_ASKS else e
            for e in entities]


def _overlap(entity: Dict[Text, Any], span: tuple) -> bool:
    return entity[ENTITY_ATTRIBUTE_START] < span[1] and span[0] < entity[ENTITY_ATTRIBUTE_END]


def _dedupe(entities: Iterable[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """One entity per (type, id), the first found (a rule cue) winning; one presenting issue,
    the most specific."""
    entities = list(entities)
    issues = [e for e in entities if e[ENTITY_ATTRIBUTE_TYPE] == PRESENTING]
    issue = min(issues, key=lambda e: PRESENTING_ISSUES.index(e[ENTITY_ATTRIBUTE_VALUE]), default=None)
    seen: Set[tuple] = set()
    kept = []
    for entity in entities:
        key = (entity[ENTITY_ATTRIBUTE_TYPE], entity[ENTITY_ATTRIBUTE_VALUE])
        if entity[ENTITY_ATTRIBUTE_TYPE] in (NEED, RISK) and key in seen:
            continue
        if entity[ENTITY_ATTRIBUTE_TYPE] == PRESENTING and entity is not issue:
            continue
        seen.add(key)
        kept.append(entity)
    return kept
