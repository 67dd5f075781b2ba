"""The evaluation sets stay out of training, so `make eval` measures phrasings never seen."""
from __future__ import annotations

from typing import Set

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.evaluate import (BLIND, BLIND2, BLIND3, HOLDOUT, NLU_BLIND, SAFEGUARDING, normalised, safeguarding_phrases,
                          training_texts)


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


@pytest.mark.parametrize("path", [SAFEGUARDING, BLIND, BLIND2, BLIND3],
                         ids=["test_set", "blind_set", "blind_set_2", "blind_set_3"])
def test_no_safeguarding_test_phrase_is_trained_on(training, path):
    risks, near_misses = safeguarding_phrases(path)
    phrases = {normalised(p) for group in risks.values() for p in group} | {normalised(p) for p in near_misses}
    assert len(phrases) > 100
    assert sorted(phrases & training) == []
