"""Evaluate the trained model on data it never saw (make eval).

Prints intent F1 and `need` entity F1 on tests/nlu_holdout/ and tests/nlu_blind/, risk recall
and false-alarm rate on the safeguarding test set and the first, second, third and fifth blind
sets, and both on the fourth blind set of whole messages; on each, how many missed dangers and
calm messages would get a check question instead (actions/risk_check.py). Nothing here is used
in training (tests/test_evaluation_sets.py checks).

    python -m bot.evaluate [MODEL]
"""
from __future__ import annotations

import asyncio
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Set, Tuple

import yaml

from bot.settings import PROJECT_ROOT
from bot.taxonomy import risk_of_intent

TRAINING = PROJECT_ROOT / "data" / "nlu"
HOLDOUT = PROJECT_ROOT / "tests" / "nlu_holdout"
# Intents and needs written blind (its author saw no training data, cues or other test set) and
# never used to tune anything; the holdout has been read for error analysis, this has not.
NLU_BLIND = PROJECT_ROOT / "tests" / "nlu_blind"
SAFEGUARDING = PROJECT_ROOT / "tests" / "safeguarding" / "phrases.yml"
# Written blind (its author saw no training data or cues); since read, and some of its misses
# fixed by rule cues, so it no longer measures those phrasings.
BLIND = PROJECT_ROOT / "tests" / "safeguarding" / "blind.yml"
# A second blind set, written when the first one's misses had been read and fixed by rules
# (so the first no longer measures those), by an author who saw neither.
BLIND2 = PROJECT_ROOT / "tests" / "safeguarding" / "blind2.yml"
# A third, written when the second one's misses had been read and some fixed by rules (session 4):
# the honest measure of that work. Only its figures are read, never its phrases.
BLIND3 = PROJECT_ROOT / "tests" / "safeguarding" / "blind3.yml"
# A fourth, whole messages each labelled with its needs and risks (session 5), written from a brief
# alone. Figures only are printed: its texts stay unread so that it keeps measuring.
BLIND4 = PROJECT_ROOT / "tests" / "blind4" / "messages.yml"
# A fifth (session 9): half of an independent writer's danger and calm messages (the other half
# was read to write rule cues). Figures only.
BLIND5 = PROJECT_ROOT / "tests" / "safeguarding" / "blind5.yml"


class Parser:
    """The trained model's NLU, in process (the same pipeline `/model/parse` runs)."""

    def __init__(self, model: Path) -> None:
        from rasa.core.agent import Agent

        quiet()
        self._agent = Agent.load(str(model))

    async def parse(self, text: str) -> Dict[str, Any]:
        return await self._agent.parse_message(text)

    async def parse_all(self, texts: Iterable[str]) -> List[Dict[str, Any]]:
        return [await self.parse(t) for t in texts]


def needs_of(parsed: Dict[str, Any]) -> Set[str]:
    return {e["value"] for e in parsed.get("entities", []) if e["entity"] == "need"}


def risks_of(parsed: Dict[str, Any]) -> Set[str]:
    """Risks the assistant acts on: risk entities, and the risk that leads the intent."""
    found = {e["value"] for e in parsed.get("entities", []) if e["entity"] == "risk"}
    intent_risk = risk_of_intent((parsed.get("intent") or {}).get("name") or "")
    return found | ({intent_risk} if intent_risk else set())


def checks_of(parsed: Dict[str, Any]) -> Set[str]:
    """Risks the assistant would ask about rather than act on (actions/risk_check.py)."""
    return {e["value"] for e in parsed.get("entities", []) if e["entity"] == "risk_check"}


def classified_intent(parsed: Dict[str, Any]) -> str:
    """The classifier's own best intent. nlu_fallback is the assistant's choice to treat an
    unsure message as unclear (the conversation action decides what that means at each step),
    not a class of its own, so intent F1 is measured on the intent beneath it."""
    ranking = [r["name"] for r in parsed.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
    return ranking[0] if ranking else parsed["intent"]["name"]


class HeldOut(NamedTuple):
    text: str
    intent: str
    needs: Set[str]
    # the `metadata` of its `inform` block: the conversation hears `inform` and the issue as an
    # entity, so the issue's label sits beside the text
    presenting_issue: Optional[str]


def holdout_examples(folder: Path = HOLDOUT) -> List[HeldOut]:
    """Every held-out example with its labels."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(folder))
    return [HeldOut(m.get("text"), m.get("intent"),
                    {e.get("role") for e in m.get("entities", []) if e.get("entity") == "need"},
                    ((m.get("metadata") or {}).get("intent") or {}).get("presenting_issue"))
            for m in data.intent_examples]


def presenting_issue_of(parsed: Dict[str, Any]) -> str | None:
    return next((e["value"] for e in parsed.get("entities", []) if e["entity"] == "presenting_issue"), None)


def safeguarding_phrases(path: Path = SAFEGUARDING) -> Tuple[Dict[str, List[str]], List[str]]:
    content = yaml.safe_load(path.read_text())
    return content["risks"], content["near_misses"]


LAYERS = {"CueEntityExtractor": "rule cue", "DIETClassifier": "learned intent",
          "SentenceRiskClassifier": "one sentence"}


def alarm_source(parsed: Dict[str, Any]) -> str:
    """Which layer raised the alarm: a rule cue, the learned intent (DIET), or the per-sentence
    classifier; "+"-joined when several did. Counts of these say where to work next without
    anyone reading an unread set's texts. A risk intent with no risk entity is DIET's."""
    extractors = {e.get("extractor") for e in parsed.get("entities", []) if e["entity"] == "risk"}
    return " + ".join(sorted(LAYERS.get(x, str(x)) for x in extractors)) or "learned intent"


def by_source(parsed: Iterable[Dict[str, Any]]) -> Dict[str, int]:
    return dict(sorted(Counter(alarm_source(p) for p in parsed).items()))


async def risk_figures(parser: Parser, path: Path, show_texts: bool = True) -> Dict[str, Any]:
    """Risk recall per id and false alarms on near-misses. `show_texts=False` for a set whose
    phrases are not to be read: its misses and false alarms are counted, never printed."""
    risks, near_misses = safeguarding_phrases(path)
    recall = {}
    asked = 0
    for risk, phrases in risks.items():
        results = await parser.parse_all(phrases)
        recall[risk] = (sum(risk in risks_of(r) for r in results), len(phrases),
                        sum(bool(risks_of(r)) for r in results),
                        [t for t, r in zip(phrases, results) if risk not in risks_of(r)])
        asked += sum(risk not in risks_of(r) and risk in checks_of(r) for r in results)
    calm = await parser.parse_all(near_misses)
    alarms = [(text, r) for text, r in zip(near_misses, calm) if risks_of(r)]
    total = sum(v[1] for v in recall.values())
    missed = total - sum(v[0] for v in recall.values())
    figures = {
        "risk_recall": round(sum(v[0] for v in recall.values()) / total, 3),
        "risk_recall_any_risk": round(sum(v[2] for v in recall.values()) / total, 3),
        "risk_recall_by_id": {k: f"{v[0]}/{v[1]}" for k, v in recall.items()},
        "false_alarm_rate": round(len(alarms) / len(near_misses), 3),
        "false_alarms_by_source": by_source(r for _, r in alarms),
        # the check question (actions/risk_check.py): missed dangers that are at least asked
        # about, by their own risk, and calm messages that would be asked a question
        "missed_but_asked": f"{asked} of {missed}",
        "near_misses_asked": f"{sum(bool(checks_of(r)) and not risks_of(r) for r in calm)} of {len(near_misses)}",
    }
    if show_texts:
        figures["missed"] = {k: v[3] for k, v in recall.items() if v[3]}
        figures["false_alarms"] = [text for text, _ in alarms]
    else:
        figures["false_alarms"] = f"{len(alarms)} of {len(near_misses)} near-misses"
    return figures


async def message_figures(parser: Parser, path: Path) -> Dict[str, Any]:
    """Need precision and recall per need id, risk recall per risk id and the false-alarm rate on
    messages labelled with no risk; counts only, never texts."""
    messages = yaml.safe_load(path.read_text())["messages"]
    parsed = await parser.parse_all(m["text"] for m in messages)
    needs: Dict[str, List[int]] = {}
    risks: Dict[str, List[int]] = {}
    calm = asked_calm = missed = asked_missed = 0
    alarmed: List[Dict[str, Any]] = []
    for message, p in zip(messages, parsed):
        gold_needs, found_needs = set(message.get("needs") or []), needs_of(p)
        for need in gold_needs | found_needs:
            counts = needs.setdefault(need, [0, 0, 0])  # true positive, false positive, false negative
            counts[0 if need in gold_needs & found_needs else 1 if need in found_needs else 2] += 1
        gold_risks, found_risks = set(message.get("risks") or []), risks_of(p)
        for risk in gold_risks:
            risks.setdefault(risk, [0, 0])[0 if risk in found_risks else 1] += 1
        if gold_risks - found_risks:
            missed += 1
            asked_missed += bool((gold_risks - found_risks) & checks_of(p))
        if not gold_risks:
            calm += 1
            if found_risks:
                alarmed.append(p)
            elif checks_of(p):
                asked_calm += 1
    tp, fp, fn = (sum(c[i] for c in needs.values()) for i in range(3))
    found = sum(c[0] for c in risks.values())
    return {
        "messages": len(messages),
        "need_entity_f1": round(f1(tp, fp, fn), 3),
        "need_precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
        "need_recall": round(tp / (tp + fn), 3) if tp + fn else 1.0,
        "need_by_id": {k: f"recall {c[0]}/{c[0] + c[2]}, false {c[1]}" for k, c in sorted(needs.items())},
        "risk_recall": round(found / sum(sum(c) for c in risks.values()), 3) if risks else 1.0,
        "risk_recall_by_id": {k: f"{c[0]}/{sum(c)}" for k, c in sorted(risks.items())},
        "false_alarm_rate": round(len(alarmed) / calm, 3) if calm else 0.0,
        "false_alarms": f"{len(alarmed)} of {calm} messages with no risk",
        "false_alarms_by_source": by_source(alarmed),
        "messages_with_a_missed_risk_asked_about_it": f"{asked_missed} of {missed}",
        "calm_messages_asked": f"{asked_calm} of {calm}",
    }


def f1(true_positive: int, false_positive: int, false_negative: int) -> float:
    precision = true_positive / (true_positive + false_positive) if true_positive + false_positive else 1.0
    recall = true_positive / (true_positive + false_negative) if true_positive + false_negative else 1.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def intent_f1(gold: Sequence[str], predicted: Sequence[str]) -> Tuple[float, float]:
    """(weighted F1, macro F1) over intents."""
    labels = sorted(set(gold))
    scores, support = [], Counter(gold)
    for label in labels:
        tp = sum(g == p == label for g, p in zip(gold, predicted))
        fp = sum(p == label and g != label for g, p in zip(gold, predicted))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted))
        scores.append(f1(tp, fp, fn))
    weighted = sum(s * support[l] for s, l in zip(scores, labels)) / len(gold)
    return weighted, sum(scores) / len(scores)


def normalised(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def training_texts() -> Set[str]:
    from rasa.shared.nlu.training_data.loading import load_data

    return {normalised(m.get("text")) for m in load_data(str(TRAINING)).intent_examples}


async def nlu_figures(parser: Parser, folder: Path, seen: Set[str]) -> Dict[str, Any]:
    """Intent F1 and `need` entity F1 on the examples in `folder` that training never saw
    (`seen`: the blind set's author wrote some common short replies, "yes", "cya", that
    training happens to have too)."""
    everything = holdout_examples(folder)
    examples = [e for e in everything if normalised(e.text) not in seen]
    parsed = await parser.parse_all(e.text for e in examples)
    issue_found = [(e.presenting_issue, presenting_issue_of(p))
                   for e, p in zip(examples, parsed) if e.presenting_issue]
    gold_intents = [e.intent for e in examples]
    predicted = [classified_intent(p) for p in parsed]
    weighted, macro = intent_f1(gold_intents, predicted)
    tp = fp = fn = 0
    calm = [0, 0, 0]  # the same, on examples whose gold intent is not a risk
    for example, p in zip(examples, parsed):
        found, gold = needs_of(p), example.needs
        counts = (len(found & gold), len(found - gold), len(gold - found))
        tp, fp, fn = tp + counts[0], fp + counts[1], fn + counts[2]
        if risk_of_intent(example.intent) is None:
            calm = [a + b for a, b in zip(calm, counts)]
    return {
        "examples": len(examples), "left_out_as_seen_in_training": len(everything) - len(examples),
        "intent_f1_weighted": round(weighted, 3), "intent_f1_macro": round(macro, 3),
        "need_entity_f1": round(f1(tp, fp, fn), 3),
        "need_precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
        "need_recall": round(tp / (tp + fn), 3) if tp + fn else 1.0,
        # the figure on calm messages alone: a danger also names its need (bot/cue_extractor.py),
        # which the held-out risk_* examples have labelled only since session 8
        "need_entity_f1_without_risk_examples": round(f1(*calm), 3),
        # the presenting issue, from DIET's report_* class or a cue (bot/presenting_issue.py)
        "presenting_issue_recall": f"{sum(g == p for g, p in issue_found)}/{len(issue_found)}",
        "presenting_issue_wrong": sum(p is not None and g != p for g, p in issue_found),
        "intent_confusions": Counter(f"{g} -> {p}" for g, p in zip(gold_intents, predicted) if g != p).most_common(8),
    }


async def evaluate(model: Path) -> Dict[str, Any]:
    parser = Parser(model)
    seen = training_texts()
    figures = {"holdout": await nlu_figures(parser, HOLDOUT, seen)}
    if NLU_BLIND.exists():
        figures["nlu_blind_set"] = await nlu_figures(parser, NLU_BLIND, seen)
    figures["safeguarding_test_set"] = await risk_figures(parser, SAFEGUARDING)
    for name, path, read in (("safeguarding_blind_set", BLIND, True),
                             ("safeguarding_blind_set_2", BLIND2, True),
                             ("safeguarding_blind_set_3", BLIND3, False),
                             ("safeguarding_blind_set_5", BLIND5, False)):
        if path.exists():
            figures[name] = await risk_figures(parser, path, show_texts=read)
    if BLIND4.exists():
        figures["blind_set_4_messages"] = await message_figures(parser, BLIND4)
    return figures


def quiet() -> None:
    """Rasa logs every parse with its text at debug level: keep residents' words out of logs."""
    import logging

    from rasa.utils.log_utils import configure_structlog

    logging.basicConfig(level=logging.WARNING)
    configure_structlog(logging.WARNING)


def main(argv: List[str]) -> int:
    from bot import train

    quiet()
    model = Path(argv[0]) if argv else train.model_path()
    print(json.dumps(asyncio.run(evaluate(model)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
