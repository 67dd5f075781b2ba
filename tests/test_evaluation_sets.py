"""The evaluation sets stay out of training, so `make eval` measures phrasings never seen."""
from __future__ import annotations

import json
from typing import Set

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bot.evaluate import (BLIND, BLIND2, BLIND3, BLIND4, BLIND5, HOLDOUT, NLU_BLIND, SAFEGUARDING,
                          normalised, safeguarding_phrases, training_texts)
from bot.taxonomy import NEED_IDS, RISK_IDS


def texts_in(folder) -> Set[str]:
    return {normalised(m.get("text")) for m in load_data(str(folder)).intent_examples}


@pytest.fixture(scope="module")
def training() -> Set[str]:
    return training_texts()


def test_no_held_out_example_is_trained_on(training):
    held_out = texts_in(HOLDOUT)
    assert len(held_out) > 300
    assert sorted(held_out & training) == []


def test_the_blind_set_shares_only_common_short_replies_with_training(training):
    """Its author never saw the training data, so "yes" or "cya" can be in both by chance
    (make eval leaves those out); a longer shared message would mean it leaked into training."""
    blind = texts_in(NLU_BLIND)
    assert len(blind) > 300
    assert [t for t in blind & training if len(t.split()) > 6] == []


@pytest.mark.parametrize("path", [SAFEGUARDING, BLIND, BLIND2, BLIND3, BLIND5],
                         ids=["test_set", "blind_set", "blind_set_2", "blind_set_3", "blind_set_5"])
def test_no_safeguarding_test_phrase_is_trained_on(training, path):
    risks, near_misses = safeguarding_phrases(path)
    phrases = {normalised(p) for group in risks.values() for p in group} | {normalised(p) for p in near_misses}
    assert len(phrases) > 100
    assert sorted(phrases & training) == []


def test_the_fourth_blind_set_is_kept_out_of_training_and_uses_only_known_ids(training):
    messages = yaml.safe_load(BLIND4.read_text())["messages"]
    assert len(messages) >= 300
    assert {n for m in messages for n in m["needs"]} == set(NEED_IDS)
    assert {r for m in messages for r in m["risks"]} == set(RISK_IDS)
    shared = [m for m in messages if normalised(m["text"]) in training and len(m["text"].split()) > 6]
    assert len(shared) == 0  # counted, not listed: its texts stay unread


class FakeParser:
    """Answers as a model would: a need entity and the issue for every text that mentions debt."""

    async def parse_all(self, texts):
        return [{"intent": {"name": "inform"}, "intent_ranking": [{"name": "inform", "confidence": 1.0}],
                 "entities": [{"entity": "need", "value": "money_management"},
                              {"entity": "presenting_issue", "value": "debt"}] if "debt" in t else []}
                for t in texts]


async def test_need_f1_is_also_given_without_the_risk_examples(tmp_path):
    from bot.evaluate import nlu_figures

    (tmp_path / "set.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: inform\n  examples: |\n'
        '    - i am in [debt]{"entity": "need", "role": "money_management"}\n'
        '- intent: risk_suicide_self_harm\n  examples: |\n    - the debt makes me want to die\n')
    figures = await nlu_figures(FakeParser(), tmp_path, seen=set())
    assert figures["need_entity_f1"] == round(2 / 3, 3)  # one true, one false positive on the risk example
    assert figures["need_entity_f1_without_risk_examples"] == 1.0


async def test_presenting_issue_recall_reads_the_label_beside_the_text(tmp_path):
    from bot.evaluate import nlu_figures

    (tmp_path / "set.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: inform\n  metadata:\n    presenting_issue: debt\n'
        '  examples: |\n    - in debt\n    - owe on my cards\n    - my uc stopped\n'
        '- intent: inform\n  examples: |\n    - the debt is not mine\n')
    figures = await nlu_figures(FakeParser(), tmp_path, seen=set())
    # the fake model names debt for any text with "debt": one of the three labelled is found, and
    # the unlabelled example is not counted either way
    assert figures["presenting_issue_recall"] == "1/3"
    assert figures["presenting_issue_wrong"] == 0


class AlarmingParser:
    """Parses as if "kill" were a rule cue for suicide and "cold" a learned no_food_or_heating."""

    async def parse_all(self, texts):
        def parse(text):
            entities = []
            if "kill" in text:
                entities.append({"entity": "risk", "value": "suicide_self_harm", "extractor": "CueEntityExtractor"})
            if "cold" in text:
                entities.append({"entity": "risk", "value": "no_food_or_heating", "extractor": "DIETClassifier"})
            if "done" in text or "day" in text:  # unsure: asked about, not acted on
                entities.append({"entity": "risk_check", "value": "suicide_self_harm"})
            return {"intent": {"name": "inform"}, "entities": entities}
        return [parse(t) for t in texts]


@pytest.mark.parametrize("show_texts", [True, False])
async def test_false_alarms_are_counted_by_source_and_an_unread_set_prints_no_text(tmp_path, show_texts):
    from bot.evaluate import risk_figures

    path = tmp_path / "set.yml"
    path.write_text("risks:\n  suicide_self_harm:\n    - i want to kill myself\n    - i am done\n"
                    "near_misses:\n  - this rent is killing me\n  - cold in here\n  - nice day\n")
    figures = await risk_figures(AlarmingParser(), path, show_texts=show_texts)
    assert figures["risk_recall_by_id"] == {"suicide_self_harm": "1/2"}
    assert figures["false_alarms_by_source"] == {"learned intent": 1, "rule cue": 1}
    assert figures["missed_but_asked"] == "1 of 1" and figures["near_misses_asked"] == "1 of 3"
    printed = json.dumps(figures)
    if show_texts:
        assert figures["false_alarms"] == ["this rent is killing me", "cold in here"]
        assert figures["missed"] == {"suicide_self_harm": ["i am done"]}
    else:
        assert figures["false_alarms"] == "2 of 3 near-misses"
        assert "killing" not in printed and "i am done" not in printed


async def test_whole_messages_count_missed_dangers_asked_about_and_calm_messages_asked(tmp_path):
    from bot.evaluate import message_figures

    path = tmp_path / "messages.yml"
    path.write_text("messages:\n"
                    "  - {text: i want to kill myself, risks: [suicide_self_harm]}\n"
                    "  - {text: i am done with it all, risks: [suicide_self_harm]}\n"
                    "  - {text: so cold in here, needs: [food_fuel]}\n"
                    "  - {text: a long day at work, needs: [employment]}\n"
                    "  - {text: nice weather}\n")
    figures = await message_figures(AlarmingParser(), path)
    assert figures["risk_recall_by_id"] == {"suicide_self_harm": "1/2"}
    assert figures["false_alarms"] == "1 of 3 messages with no risk"
    assert figures["messages_with_a_missed_risk_asked_about_it"] == "1 of 1"
    assert figures["calm_messages_asked"] == "1 of 3"
    assert "done" not in json.dumps(figures)
