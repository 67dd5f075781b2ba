"""Danger in one sentence of a long message is found, trained on the project's own data."""
from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from bot.sentence_risk import SentenceRiskClassifier, parts
from bot.settings import PROJECT_ROOT


def test_a_message_is_scored_by_sentence_and_clause_and_tiny_bits_are_left_out():
    text = "I owe council tax. My partner hits me, and I'm scared to go home! ok"
    pieces = [text[s:e].strip() for s, e in parts(text)]
    assert pieces == ["I owe council tax", "My partner hits me, and I'm scared to go home",
                      "My partner hits me", "and I'm scared to go home"]


def test_a_list_of_who_lives_there_is_not_scored():
    text = "its me, him and the kids. he takes my bank card and gets angry"
    pieces = [text[s:e].strip() for s, e in parts(text)]
    assert pieces == ["he takes my bank card and gets angry"]
    text = "me, him and the kids, he hits them"
    assert [text[s:e].strip() for s, e in parts(text)] == [text, "he hits them"]


@pytest.fixture(scope="module")
def classifier(tmp_path_factory) -> SentenceRiskClassifier:
    """Trained on data/nlu, stored, and loaded back as a served model would be."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("sentence_risk")
    context = ExecutionContext(GraphSchema({}), "test")
    config = SentenceRiskClassifier.get_default_config()
    SentenceRiskClassifier.create(config, storage, resource, context).train(load_data(str(PROJECT_ROOT / "data" / "nlu")))
    return SentenceRiskClassifier.load(config, storage, resource, context)


def risks(classifier: SentenceRiskClassifier, text: str):
    message = Message(data={TEXT: text})
    classifier.process([message])
    return [(e["value"], e["text"]) for e in message.get(ENTITIES, []) if e["entity"] == "risk"]


@pytest.mark.parametrize("text, risk", [
    ("I need help with my council tax, I owe about 600. Honestly I don't want to be alive anymore. "
     "Also can someone look at my PIP form", "suicide_self_harm"),
    ("Universal credit was cut and the arrears are building. We are sleeping on the street tonight "
     "with our bags, can you help with the rent too", "homeless_tonight"),
])
def test_danger_buried_in_a_long_message_is_found(classifier, text, risk):
    found = risks(classifier, text)
    assert [value for value, _ in found] == [risk]
    assert found[0][1] in text and len(found[0][1]) < len(text)  # the part, not the whole


@pytest.mark.parametrize("text", [
    "I need help with my council tax, I owe about 600. My son is 7 and doing well at school. "
    "Also can someone look at my PIP form",
    "the bills keep going up, we eat a lot of pasta these days, but we're managing",
])
def test_an_ordinary_long_message_raises_nothing(classifier, text):
    assert risks(classifier, text) == []


def test_a_single_sentence_is_left_to_the_whole_message_classifier(classifier):
    assert risks(classifier, "we are sleeping on the street tonight") == []


def test_a_part_that_is_danger_but_not_clearly_is_to_be_asked_about(classifier):
    """Between `check_threshold` and `threshold` the part's risk becomes a `risk_check` entity."""
    text = ("I need help with my council tax, I owe about 600. Honestly I don't want to be alive "
            "anymore. Also can someone look at my PIP form")
    unsure = SentenceRiskClassifier({**SentenceRiskClassifier.get_default_config(), "threshold": 1.01,
                                     "check_threshold": 0.5}, classifier._storage, classifier._resource,
                                    classifier._model)
    message = Message(data={TEXT: text})
    unsure.process([message])
    assert [(e["entity"], e["value"]) for e in message.get(ENTITIES)] == [("risk_check", "suicide_self_harm")]
    assert [(value, part.strip()) for value, part in risks(classifier, text)] == [
        ("suicide_self_harm", "Honestly I don't want to be alive anymore")]  # sure at 0.9: acted on
