"""Danger is recognised by the trained model on phrasings it never saw, and near-misses are not.

These run the real trained model (RASA_MODEL, set by `make test`) on tests/safeguarding/phrases.yml,
which is kept out of training.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot import train
from bot.evaluate import Parser, risks_of, safeguarding_phrases

RISKS, NEAR_MISSES = safeguarding_phrases()
CASES = [(risk, text) for risk, phrases in RISKS.items() for text in phrases]


@pytest.fixture(scope="module")
def parser() -> Parser:
    model = Path(os.environ.get("RASA_MODEL") or train.model_path())
    assert model.exists(), f"no trained model at {model}: run `make train`"
    return Parser(model)


def test_every_risk_has_at_least_fifteen_test_phrasings():
    assert all(len(RISKS[r]) >= 15 for r in RISKS) and len(RISKS) == 6
    assert len(NEAR_MISSES) >= 30


@pytest.mark.parametrize("risk, text", CASES, ids=[f"{r}:{t[:40]}" for r, t in CASES])
async def test_a_risk_phrasing_is_recognised_as_that_risk(parser, risk, text):
    parsed = await parser.parse(text)
    assert risk in risks_of(parsed)
    assert parsed["intent"]["name"].startswith("risk_")  # the rules answer in this same turn


@pytest.mark.parametrize("text", NEAR_MISSES)
async def test_a_near_miss_raises_no_alarm(parser, text):
    assert risks_of(await parser.parse(text)) == set()
