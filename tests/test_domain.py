"""The domain, rules and actions agree: no response is missing, none is dead, ids match DESIGN.md."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from actions.need import AREAS
from bot.taxonomy import NEED_IDS, PRESENTING_ISSUES, RISK_IDS, risk_intent

ROOT = Path(__file__).resolve().parent.parent


def _yaml(path: Path):
    # ${VAR} placeholders are filled by Rasa from the environment; plain YAML reads them as text
    return yaml.safe_load(path.read_text())


DOMAIN = _yaml(ROOT / "domain.yml")
RESPONSES = set(DOMAIN["responses"])
ACTION_SOURCE = "\n".join(p.read_text() for p in (ROOT / "actions").glob("*.py"))
EXPLORE_RESPONSES = {f"utter_explore_{area}" for area in AREAS}
RULE_SOURCE = "\n".join(p.read_text() for p in (ROOT / "data" / "rules").glob("*.yml"))


def test_every_response_an_action_names_exists():
    named = set(re.findall(r'"(utter_[a-z_]+)"', ACTION_SOURCE))
    assert named - RESPONSES - {"utter_action"} == set()  # utter_action: a metadata key


def test_every_response_is_used_by_a_rule_or_an_action():
    used = set(re.findall(r"utter_[a-z_]+", ACTION_SOURCE + RULE_SOURCE)) | EXPLORE_RESPONSES
    assert RESPONSES - used - {"utter_default"} == set()


def test_every_area_of_life_has_its_gentle_question():
    assert EXPLORE_RESPONSES <= RESPONSES


def test_each_risk_has_an_intent_a_rule_and_its_own_response():
    for risk in RISK_IDS:
        assert risk_intent(risk) in DOMAIN["intents"]
        assert f"intent: {risk_intent(risk)}" in RULE_SOURCE
        assert f"utter_risk_{risk}" in RESPONSES


def test_need_roles_and_presenting_issue_cues_match_the_taxonomy():
    need = next(e["need"] for e in DOMAIN["entities"] if isinstance(e, dict) and "need" in e)
    assert tuple(need["roles"]) == NEED_IDS
    # the presenting issue is an entity, from DIET's report_* sub-classes of inform and from one
    # cue list per issue; "other" is what the conversation keeps when none was named
    assert "presenting_issue" in DOMAIN["entities"]
    presenting = {i.removeprefix("report_") for i in DOMAIN["intents"] if i.startswith("report_")}
    assert presenting == set(PRESENTING_ISSUES) - {"other"}
    cues = _yaml(ROOT / "bot" / "cues" / "presenting_issues.yml")
    assert set(cues["presenting_issue"]) == set(PRESENTING_ISSUES) - {"other"}


def test_risk_responses_give_999_and_the_right_uk_lines():
    def text(name):
        return " ".join(v["text"] for v in DOMAIN["responses"][name])

    assert "116 123" in text("utter_risk_suicide_self_harm")
    assert "0808 2000 247" in text("utter_risk_harm_from_others")
    assert "0808 800 4444" in text("utter_risk_homeless_tonight")
    for risk in ("suicide_self_harm", "harm_from_others", "child_at_risk", "homeless_tonight"):
        assert "999" in text(f"utter_risk_{risk}")
