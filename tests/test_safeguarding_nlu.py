"""Danger is recognised by the trained model on phrasings it never saw, and near-misses are not.

These run the real trained model (RASA_MODEL, set by `make test`) on tests/safeguarding/phrases.yml,
which is kept out of training.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
import yaml

from bot import train
from bot.evaluate import Parser, risks_of, safeguarding_phrases

RISKS, NEAR_MISSES = safeguarding_phrases()
# Phrasings the current model gets wrong, listed by name so they stay visible: each is a strict
# xfail, so the day one is fixed the suite fails until it is taken off this list.
KNOWN = yaml.safe_load((Path(__file__).parent / "safeguarding" / "known_failures.yml").read_text()) or {}


def case(*values: str, kind: str):
    """A test case; a strict xfail when its phrase is a listed known failure."""
    known = values[-1] in (KNOWN.get(kind) or [])
    marks = [pytest.mark.xfail(strict=True, reason=f"known {kind}: tests/safeguarding/known_failures.yml")]
    return pytest.param(*values, marks=marks if known else [], id=":".join(v[:40] for v in values))


CASES = [case(risk, text, kind="missed_risks") for risk, phrases in RISKS.items() for text in phrases]
QUIET = [case(text, kind="false_alarms") for text in NEAR_MISSES]


@pytest.fixture(scope="module")
def parser() -> Parser:
    model = Path(os.environ.get("RASA_MODEL") or train.model_path())
    assert model.exists(), f"no trained model at {model}: run `make train`"
    with warnings.catch_warnings():
        # loading stages TensorFlow graphs, which warn (third party) under whatever filter
        # state earlier tests left; the parses under test still run with warnings as errors
        warnings.simplefilter("ignore")
        return Parser(model)


def test_every_risk_has_at_least_fifteen_test_phrasings():
    assert all(len(RISKS[r]) >= 15 for r in RISKS) and len(RISKS) == 6
    assert len(NEAR_MISSES) >= 30


@pytest.mark.parametrize("risk, text", CASES)
async def test_a_risk_phrasing_is_recognised_as_that_risk(parser, risk, text):
    parsed = await parser.parse(text)
    assert risk in risks_of(parsed)
    assert parsed["intent"]["name"].startswith("risk_")  # the rules answer in this same turn


@pytest.mark.parametrize("text", QUIET)
async def test_a_near_miss_raises_no_alarm(parser, text):
    assert risks_of(await parser.parse(text)) == set()


@pytest.mark.parametrize("text", [
    "could you get rid of all the info you hold about me",
    "i'd like everything you've stored about me erased",
    "wipe all my personal details please",
    "delete what i told you earlier please",
    "please delete all my data",
])
async def test_asking_us_to_delete_their_data_is_that_request_not_danger(parser, text):
    """Its own learned class (data/nlu/privacy.yml): the session-7 model, without it, read
    "please delete all my data" as harm_from_others at 0.73."""
    parsed = await parser.parse(text)
    assert risks_of(parsed) == set()
    assert parsed["intent"]["name"] == "erase_my_data"
