"""Rasa NLU component: danger buried in one sentence of a long message.

DIET reads a message whole. In a long message about money or benefits, one sentence of danger
("... he chokes me, he did it again yesterday ... the council tax letter mentions enforcement")
is outweighed by the rest, and no short rule cue says it plainly. This component scores each
sentence and clause of a message that has several, with a small linear classifier trained on
the same examples (each risk_* intent against everything else), and adds a `risk` entity when
one part is clearly danger. CueEntityExtractor, next in the pipeline, then lets that risk lead
the intent, so the risk rules answer in the same turn.

Single-sentence messages are left to DIET and the rule cues: this only adds what a whole-message
reading can miss, so it cannot take a risk away. A part that scores as danger, but not clearly,
gives a `risk_check` entity instead: the conversation asks about it (actions/risk_check.py).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.sentences import sentence_bounds
from bot.taxonomy import risk_of_intent

NOT_A_RISK = "none"
MODEL_FILE = "sentence_risk.joblib"
# clauses end where sentences do (bot/sentences.py), and also at commas and "but", "also", "and then"
CLAUSE_BREAK = re.compile(r",|\b(?:but|also|and then|plus)\b", re.I)
MIN_WORDS = 3
# A part made only of these words is a list of who is there ("its me, him and the kids"), not
# something happening to anyone; its n-grams still look like "he hurts him and the kids".
WHO_IS_THERE = frozenset("""
    i me my im i'm it its it's he him his she her they them their we us our you your and & the a an
    just only plus with both all of one ones two three four 2 3 4 little kids kid children child
    baby babies son sons daughter daughters partner husband hubby wife mum mom dad boyfriend bf
    girlfriend gf ex family brother sister nan grandad grandma dog cat
""".split())


def sentences(text: str) -> List[Tuple[int, int]]:
    """(start, end) of each sentence long enough to say something ("ok so..." is not one)."""
    return [(start, end) for start, end in sentence_bounds(text) if len(text[start:end].split()) >= MIN_WORDS]


def words(text: str) -> List[str]:
    return re.findall(r"[\w'&]+", text.lower())


def parts(text: str) -> List[Tuple[int, int]]:
    """(start, end) of each sentence and clause worth scoring on its own."""
    found: List[Tuple[int, int]] = []
    for start, end in sentence_bounds(text):
        pieces = [(start, end)]
        clause_start = start
        for m in CLAUSE_BREAK.finditer(text, start, end):
            pieces.append((clause_start, m.start()))
            clause_start = m.end()
        if clause_start != start:
            pieces.append((clause_start, end))
        for piece in pieces:
            said = words(text[piece[0]:piece[1]])
            if len(said) >= MIN_WORDS and not set(said) <= WHO_IS_THERE:
                found.append(piece)
    return list(dict.fromkeys(found))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class SentenceRiskClassifier(GraphComponent, EntityExtractorMixin):
    """A `risk` entity for a sentence or clause that is clearly danger, in a longer message."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # a part must score at least this for its risk (config.yml says how it was chosen)
            "threshold": 0.9,
            # from this score up to `threshold`, the part's risk is asked about, not acted on
            "check_threshold": 0.6,
            # messages with fewer parts than this are DIET's alone
            "min_parts": 2,
            "C": 5.0,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Any = None) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SentenceRiskClassifier":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "SentenceRiskClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(Path(directory) / MODEL_FILE)
        except ValueError:
            model = None  # never trained (no risk examples): adds nothing
        return cls(config, model_storage, resource, model)

    def train(self, training_data: TrainingData) -> Resource:
        texts, labels = examples(training_data)
        if len(set(labels)) > 1:
            self._model = fit(texts, labels, C=float(self._config["C"]))
            with self._storage.write_to(self._resource) as directory:
                joblib.dump(self._model, Path(directory) / MODEL_FILE)
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = self.risk_in(message.get(TEXT) or "")
            if found:
                message.set(ENTITIES, message.get(ENTITIES, []) + [found], add_to_output=True)
        return messages

    def risk_in(self, text: Text) -> Optional[Dict[Text, Any]]:
        if self._model is None:
            return None
        spans = parts(text)
        if len(spans) < int(self._config["min_parts"]):
            return None
        risks = [i for i, label in enumerate(self._model.classes_) if label != NOT_A_RISK]
        scores = self._model.predict_proba([text[s:e] for s, e in spans])[:, risks]
        part, column = divmod(int(scores.argmax()), scores.shape[1])  # the surest part and risk
        p = float(scores[part, column])
        if p < float(self._config.get("check_threshold", self._config["threshold"])):
            return None
        kind = "risk" if p >= float(self._config["threshold"]) else "risk_check"
        label, (start, end) = self._model.classes_[risks[column]], spans[part]
        return {ENTITY_ATTRIBUTE_TYPE: kind, ENTITY_ATTRIBUTE_VALUE: label,
                ENTITY_ATTRIBUTE_START: start, ENTITY_ATTRIBUTE_END: end,
                ENTITY_ATTRIBUTE_CONFIDENCE: p, "text": text[start:end],
                EXTRACTOR: "SentenceRiskClassifier"}


def examples(training_data: TrainingData) -> Tuple[List[str], List[str]]:
    """Every intent example: its risk id, or NOT_A_RISK."""
    texts, labels = [], []
    for message in training_data.intent_examples:
        texts.append(message.get(TEXT))
        labels.append(risk_of_intent(message.get(INTENT) or "") or NOT_A_RISK)
    return texts, labels


def fit(texts: List[str], labels: List[str], C: float) -> Any:
    """Word and character n-grams, so typos and txt speak still share features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.feature_extraction.text import TfidfVectorizer

    features = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), lowercase=True, sublinear_tf=True, min_df=1),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=True, sublinear_tf=True, min_df=2),
    )
    model = make_pipeline(features, LogisticRegression(C=C, max_iter=3000, class_weight="balanced"))
    model.fit(texts, labels)
    return model
