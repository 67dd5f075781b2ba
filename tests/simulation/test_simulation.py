"""A subset of the scripted residents against the real stack, with asserted floors.

The subset and the floors were fixed when the residents were written, before any run: one
resident per presenting issue, together hiding benefits, money, food and fuel, mental health,
housing conditions, childcare, work and gambling behind their stories. None of them has a risk,
so any risk response is a false alarm. The full set and the stricter targets run in
`python -m tests.simulation.simulator --start-stack` (make eval).

Run: RASA_MODEL=<model> SPACY_MODEL_PATH=$PWD/.data/spacy/en_triage \
         .venv-rasa/bin/python -m pytest tests/simulation -q -s
pytest.ini lists `simulation` under norecursedirs, so a plain `pytest tests` skips this module:
it runs when named by path, as above.
"""
from __future__ import annotations

import asyncio
from typing import List

import pytest

from bot.stack import Stack
from tests.simulation.simulator import Result, load_residents, report, run_all, totals

SUBSET = (
    "r01_tanya",    # rent arrears; hidden: benefits, money_management
    "r02_abdul",    # council tax; hidden: mental_health, food_fuel
    "r03_kasia",    # section 21; hidden: housing_conditions, childcare, employment
    "r06_mehmet",   # debt; hidden: substance_use (gambling)
    "r11_lee",      # gas and electric; hidden: employment, childcare
    "r20_dritan",   # universal credit stopped; hidden: housing_conditions
)
# 0.75 in session 3 (16/21); 18/21 = 0.86 in session 4; 21/21 in session 5 (everyday need data and
# cues), so a floor of 0.85 still allows for a retrained model finding one or two fewer
RECALL_FLOOR = 0.85
PRECISION_FLOOR = 0.8
# 14 until the playback also asked which need matters most (one tap for both); 12 measured, the
# issue's target
MEDIAN_TURNS_CEILING = 12


@pytest.fixture(scope="module")
def results(stack: Stack) -> List[Result]:
    residents = [r for r in load_residents() if r.id in SUBSET]
    assert [r.id for r in residents] == list(SUBSET)
    ran = asyncio.run(run_all(stack.url("rasa"), stack.url("handoff"),
                              stack.env["HANDOFF_API_TOKEN"], residents))
    print("\n" + report(ran))
    return ran


def test_every_resident_reaches_a_confirmed_booking(results: List[Result]):
    not_booked = {r.resident.id: r.stopped or r.error for r in results if not r.booked}
    assert not not_booked, "\n\n".join(
        r.format_transcript() for r in results if r.resident.id in not_booked)


def test_no_risk_response_to_a_resident_without_risk(results: List[Result]):
    alarms = {r.resident.id: r.false_alarms for r in results if r.false_alarms}
    assert not alarms


def test_needs_recall_floor(results: List[Result]):
    assert totals(results).recall >= RECALL_FLOOR


def test_needs_precision_floor(results: List[Result]):
    assert totals(results).precision >= PRECISION_FLOOR


def test_median_turns_to_a_booking(results: List[Result]):
    median = totals(results).median_turns
    assert median is not None and median <= MEDIAN_TURNS_CEILING


def test_every_domain_response_is_recognised_from_its_text():
    """The simulator tells each bot message's response apart (no stack needed)."""
    import re

    import yaml

    from tests.simulation.simulator import DOMAIN_FILE, load_templates, recognise

    templates = load_templates()
    responses = yaml.safe_load(DOMAIN_FILE.read_text())["responses"]
    for name, variants in responses.items():
        for variant in variants:
            text = re.sub(r"\{\w+\}", "Sam Jones", variant["text"])
            found, _ = recognise(text, templates)
            same_text = {n for n, vs in responses.items() for v in vs if v["text"] == variant["text"]}
            assert found in same_text, (name, found)


@pytest.mark.parametrize("question, risks, answer", [
    ("utter_check_suicide_self_harm", (), "/deny"),
    ("utter_check_harm_from_others", ("harm_from_others",), "/affirm"),
    # "do you have somewhere safe to sleep tonight?": yes means safe
    ("utter_check_homeless_tonight", (), "/affirm"),
    ("utter_check_homeless_tonight", ("homeless_tonight",), "/deny"),
])
def test_a_check_question_is_answered_truthfully_and_a_needless_one_is_counted(question, risks, answer):
    """No stack needed: the simulated resident's side of the check question."""
    import dataclasses

    import yaml

    from tests.simulation.simulator import DOMAIN_FILE, Talk, load_templates, next_message

    resident = dataclasses.replace(load_residents()[0], risks=risks)
    variant = yaml.safe_load(DOMAIN_FILE.read_text())["responses"][question][0]
    reply = {"text": variant["text"], "buttons": variant["buttons"]}
    result = Result(resident, sender="s")
    said = next_message(result, Talk(resident), [reply], load_templates())
    assert said == answer
    assert result.checks == [question.removeprefix("utter_check_")]
    assert result.needless_checks == ([] if risks else result.checks)
    assert totals([result]).needless_checks == (0 if risks else 1)
