"""Conversation simulator: scripted residents talk to the running stack over REST.

Each resident in `residents.yml` has a story, true needs (some hidden: their story does not
mention them) and what they would say if asked about each area of life. The simulator sends
their opening message to Rasa's REST channel, recognises which question the bot asked by
matching every bot message against the response templates in `domain.yml`, answers as the
resident would, and carries on to a confirmed booking. It then reads the stored handoff from
the handoff service and compares its needs with the resident's truth.

It prints a table per resident and the totals: needs recall and precision (micro over all
(resident, need) pairs), median and max resident turns to a confirmed booking (every message
the resident sends, button taps included, up to and including the one answered with
"You're booked in with"), conversations that did not reach a booking, and risk responses shown
to residents without that risk (false alarms). Targets (issue 3): recall >= 0.90,
precision >= 0.90, median <= 12 turns.

Against `make run` (Rasa on 5005, handoff service on 8080, token in .data/handoff_api_token):

    .venv-rasa/bin/python -m tests.simulation.simulator
    .venv-rasa/bin/python -m tests.simulation.simulator --only r01_tanya,r07_gemma
    .venv-rasa/bin/python -m tests.simulation.simulator --transcript r03_kasia

Elsewhere: --rasa URL --handoff URL --token T. To start a stack of its own (trained model,
free ports, a temporary DATA_DIR; what `make eval` runs):

    SPACY_MODEL_PATH=$PWD/.data/spacy/en_triage .venv-rasa/bin/python -m tests.simulation.simulator --start-stack

(--model PATH or RASA_MODEL picks the model; otherwise `bot.train.model_path()`.)
Exit status is 0 when every target is met, 1 otherwise.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import statistics
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Pattern, Sequence, Set, Tuple

import aiohttp
import yaml

from actions.need import AREA_WORDS, AREAS, SHORT_LABELS
from actions.risk_check import DANGER_ON_NO, QUESTIONS

ROOT = Path(__file__).resolve().parents[2]
RESIDENTS_FILE = Path(__file__).with_name("residents.yml")
DOMAIN_FILE = ROOT / "domain.yml"
MAX_TURNS = 25
TARGETS = {"recall": 0.90, "precision": 0.90, "median_turns": 12}

# Which areas' answers can reveal a need. actions.need.AREAS has no area for immigration;
# residents reveal it when asked about benefits or work (e.g. "no recourse to public funds").
NEED_AREAS: Dict[str, Tuple[str, ...]] = {
    need: tuple(a for a, covered in AREAS.items() if need in covered) for need in SHORT_LABELS}
NEED_AREAS["immigration"] = ("benefits", "work")

# What a resident calls a need when saying it was got wrong: "no not the drinking".
WRONG_WORDS: Dict[str, str] = {
    "money_management": "debts",
    "benefits": "benefits",
    "employment": "work",
    "housing_move": "moving",
    "relationship_breakdown": "relationship",
    "substance_use": "drinking",
    "childcare": "childcare",
    "mental_health": "mental health",
    "domestic_abuse": "abuse",
    "immigration": "immigration",
    "housing_conditions": "repairs",
    "food_fuel": "food and gas",
}
THATS_ALL = "no thats everything"
# Nobody gives the same answer to the same question a third time (e.g. a false alarm that
# fires on it each time the question is asked again): they let it go instead.
LET_IT_GO = "never mind, lets carry on"
MAX_SAME_ANSWER = 2
RISK_PREFIX = "utter_risk_"
CALLBACK_OFFER = "utter_offer_urgent_callback"
# "Can I check something with you: ...?" about an unsure danger (actions/risk_check.py), by
# response name: the resident answers truthfully
RISK_OF_CHECK = {question: risk for risk, question in QUESTIONS.items()}
# Bot messages after which the resident has nothing more to say.
ENDINGS = {"utter_what_happens_next", "utter_goodbye", "utter_goodbye_for_now",
           "utter_no_time_fits", "utter_service_unavailable", "utter_callback_noted"}


# --- residents and templates -------------------------------------------------------------------

@dataclass(frozen=True)
class Resident:
    id: str
    opening: str
    story: str
    needs: Tuple[str, ...]
    hidden: Tuple[str, ...]
    answers: Dict[str, str]
    priority: str
    wants: Optional[str]
    mode: str
    contact: str
    stops_early: bool = False
    risks: Tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, raw: Dict[str, Any]) -> "Resident":
        return cls(id=raw["id"], opening=raw["opening"], story=raw["story"],
                   needs=tuple(raw["needs"]), hidden=tuple(raw.get("hidden") or ()),
                   answers=dict(raw.get("answers") or {}), priority=raw["priority"],
                   wants=raw.get("wants"), mode=raw["mode"], contact=raw["contact"],
                   stops_early=bool(raw.get("stops_early")), risks=tuple(raw.get("risks") or ()))


def load_residents(path: Path = RESIDENTS_FILE) -> List[Resident]:
    return [Resident.from_dict(r) for r in yaml.safe_load(path.read_text())["residents"]]


@dataclass(frozen=True)
class Template:
    name: str
    pattern: Pattern[str]
    literal: int  # characters of fixed text: the most specific match wins


def compile_template(text: str) -> Tuple[Pattern[str], int]:
    """A response text as a regex: fixed text escaped, each {var} a lazy named group."""
    parts = re.split(r"\{(\w+)\}", text.strip())
    regex, seen, literal = "", set(), 0
    for i, part in enumerate(parts):
        if i % 2 == 0:
            # spaces flexible: a trailing empty value ("{worker_intro}") leaves none
            regex += re.escape(part).replace(r"\ ", r"\s*")
            literal += len(part)
        elif part in seen:
            regex += ".*?"
        else:
            seen.add(part)
            regex += f"(?P<{part}>.*?)"
    return re.compile(regex, re.S), literal


def load_templates(path: Path = DOMAIN_FILE) -> List[Template]:
    responses = yaml.safe_load(path.read_text())["responses"]
    templates = []
    for name, variants in responses.items():
        for variant in variants:
            if variant.get("text"):
                pattern, literal = compile_template(variant["text"])
                templates.append(Template(name, pattern, literal))
    return templates


def recognise(text: str, templates: Sequence[Template]) -> Tuple[Optional[str], Dict[str, str]]:
    """The response a bot message came from, and its filled-in values; (None, {}) if none."""
    best: Optional[Tuple[Template, Dict[str, str]]] = None
    for template in templates:
        match = template.pattern.fullmatch(text.strip())
        if match and (best is None or template.literal > best[0].literal):
            best = (template, {k: v for k, v in match.groupdict().items() if v is not None})
    return (best[0].name, best[1]) if best else (None, {})


def needs_named(phrase: str) -> List[str]:
    """Need ids whose playback phrase (actions.need.SHORT_LABELS) appears in `phrase`."""
    return [n for n, label in SHORT_LABELS.items() if label in phrase]


def areas_named(phrase: str) -> List[str]:
    return [a for a, words in AREA_WORDS.items() if words in phrase]


# --- one conversation --------------------------------------------------------------------------

@dataclass
class BotMessage:
    text: str
    name: Optional[str]
    values: Dict[str, str]
    buttons: List[Dict[str, str]]


@dataclass
class Result:
    resident: Resident
    sender: str
    transcript: List[Tuple[str, str]] = field(default_factory=list)
    turns: int = 0
    turns_to_booking: Optional[int] = None
    found: Set[str] = field(default_factory=set)
    handoff: Optional[Dict[str, Any]] = None
    risk_responses: List[str] = field(default_factory=list)
    checks: List[str] = field(default_factory=list)  # the risks asked about
    unrecognised: List[str] = field(default_factory=list)
    stopped: str = ""
    error: Optional[str] = None

    @property
    def booked(self) -> bool:
        return self.turns_to_booking is not None

    @property
    def truth(self) -> Set[str]:
        return set(self.resident.needs)

    @property
    def false_alarms(self) -> List[str]:
        """Risk responses for a risk this resident does not have."""
        alarms = []
        for name in self.risk_responses:
            if name == CALLBACK_OFFER:
                if not self.resident.risks:
                    alarms.append(name)
            elif name[len(RISK_PREFIX):] not in self.resident.risks:
                alarms.append(name)
        return alarms

    @property
    def needless_checks(self) -> List[str]:
        """Check questions about a risk this resident does not have."""
        return [risk for risk in self.checks if risk not in self.resident.risks]

    def format_transcript(self) -> str:
        lines = [f"# {self.resident.id} (sender {self.sender})"]
        for who, text in self.transcript:
            lines.append(f"{who:>8}: {text}")
        return "\n".join(lines)


class Talk:
    """What a resident says back to each kind of bot message."""

    def __init__(self, resident: Resident) -> None:
        self.r = resident
        self.disclosed: Set[str] = set(resident.needs) - set(resident.hidden)
        self.stopped_early = False
        self.wrong: List[str] = []          # needs the last playback got wrong
        self.last_buttons: Dict[str, List[Dict[str, str]]] = {}
        self.sorry_said = False
        self.repeated_default = False
        self.last_said = resident.opening
        self.given: Dict[Tuple[str, str], int] = {}

    # each returns the resident's next message
    def tap(self, buttons: List[Dict[str, str]], title: str = "", payload_has: str = "") -> Optional[str]:
        for b in buttons:
            if title and b.get("title", "").lower().startswith(title.lower()):
                return b["payload"]
            if payload_has and payload_has in b.get("payload", ""):
                return b["payload"]
        return None

    def area(self, area: str) -> str:
        if self.r.stops_early and not self.stopped_early:
            self.stopped_early = True
            return THATS_ALL
        self.disclosed |= {n for n in self.r.hidden if area in NEED_AREAS[n]}
        return self.r.answers.get(area) or "no not really"

    def anything_else(self, named: Sequence[str]) -> str:
        if self.stopped_early:
            return THATS_ALL
        telling = [a for a in named
                   if any(a in NEED_AREAS[n] for n in self.r.hidden if n not in self.disclosed)]
        if not telling:
            return THATS_ALL
        for a in telling:
            self.disclosed |= {n for n in self.r.hidden if a in NEED_AREAS[n]}
        return ". ".join(self.r.answers[a] for a in telling if self.r.answers.get(a))

    def playback(self, message: BotMessage) -> str:
        named = needs_named(message.values.get("needs_heard", ""))
        self.wrong = [n for n in named if n not in self.r.needs]
        if self.wrong:
            return self.not_the(self.wrong)
        if any('"need"' in b.get("payload", "") for b in message.buttons):
            return self.choose(message.buttons)  # the playback also asks which matters most
        return self.tap(message.buttons, title="Yes") or "yes thats right"

    def choose(self, buttons: List[Dict[str, str]]) -> str:
        """Tap the need that matters most to them, or the first one offered."""
        needs = [b for b in buttons if '"need"' in b.get("payload", "")]
        chosen = self.tap(needs, payload_has=f'"{self.r.priority}"')
        return chosen or (needs[0]["payload"] if needs else "skip")

    @staticmethod
    def not_the(wrong: Sequence[str]) -> str:
        return "no not the " + " or the ".join(WRONG_WORDS[n] for n in wrong)

    def reply(self, message: BotMessage) -> Optional[str]:
        name = message.name or ""
        if message.buttons:
            self.last_buttons[name] = message.buttons
        if name in ("utter_ask_consent", "utter_ask_consent_again", "utter_ask_contact_this_number"):
            return self.tap(message.buttons, title="Yes") or "yes"
        if name == "utter_ask_presenting_issue":
            return self.r.opening
        if name in ("utter_ask_story", "utter_ask_story_gently", "utter_ask_story_new"):
            return self.r.story
        if name == "utter_explore_anything_else":
            return self.anything_else(areas_named(message.values.get("areas", "")))
        if name.startswith("utter_explore_"):
            return self.area(name[len("utter_explore_"):])
        if name in ("utter_playback", "utter_playback_corrected",
                    "utter_playback_choose", "utter_playback_corrected_choose"):
            return self.playback(message)
        if name == "utter_playback_yes_or_no":
            return self.not_the(self.wrong) if self.wrong else "yes"
        if name == "utter_ask_correction":
            return ("its not the " + " or the ".join(WRONG_WORDS[n] for n in self.wrong)
                    if self.wrong else "its fine actually")
        if name in ("utter_ask_priority", "utter_ask_priority_again"):
            return self.choose(message.buttons or self.last_buttons.get("utter_ask_priority", []))
        if name == "utter_ask_what_they_want":
            if self.r.wants:
                return self.r.wants
            return self.tap(message.buttons, title="Skip") or "skip"
        if name == "utter_ask_mode":
            return self.tap(message.buttons, payload_has=f'"{self.r.mode}"') or self.r.mode
        if name == "utter_ask_mode_again":
            return {"phone": "phone", "face_to_face": "face to face", "video": "video"}[self.r.mode]
        if name in ("utter_offer_times", "utter_ask_choose_time_again"):
            buttons = message.buttons or self.last_buttons.get("utter_offer_times", [])
            times = [b for b in buttons if b.get("payload") != "/deny"]
            return times[0]["payload"] if times else "the first one"
        if name in ("utter_ask_contact", "utter_ask_contact_again", "utter_ask_contact_safe_way"):
            return self.r.contact
        if name in ("utter_ask_name", "utter_ask_name_again"):
            return "skip"  # most people just want to be done by now
        if name == CALLBACK_OFFER:
            return "no thanks"
        if name in RISK_OF_CHECK:
            risk = RISK_OF_CHECK[name]
            says_yes = (risk in self.r.risks) != (risk in DANGER_ON_NO)
            return self.tap(message.buttons, title="Yes" if says_yes else "No") or ("yes" if says_yes else "no")
        return None


async def run_resident(rasa_url: str, handoff_url: str, token: str, resident: Resident,
                       templates: Optional[Sequence[Template]] = None,
                       max_turns: int = MAX_TURNS) -> Result:
    """One scripted resident, from their opening message to a confirmed booking and contact."""
    templates = templates if templates is not None else load_templates()
    result = Result(resident, sender=f"sim-{resident.id}-{uuid.uuid4().hex[:10]}")
    talk = Talk(resident)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        text: Optional[str] = resident.opening
        try:
            while text is not None and result.turns < max_turns:
                result.turns += 1
                result.transcript.append(("resident", text))
                talk.last_said = text
                async with http.post(rasa_url.rstrip("/") + "/webhooks/rest/webhook",
                                     json={"sender": result.sender, "message": text}) as response:
                    response.raise_for_status()
                    replies = await response.json()
                text = next_message(result, talk, replies, templates)
            if text is not None and not result.stopped:
                result.stopped = f"stopped after {max_turns} turns"
            result.handoff = await latest_handoff(http, handoff_url, token, result.sender)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            result.error = f"{type(error).__name__}: {error}"
    if result.handoff:
        result.found = {n["id"] if isinstance(n, dict) else n for n in result.handoff.get("needs", [])}
    return result


def next_message(result: Result, talk: Talk, replies: List[Dict[str, Any]],
                 templates: Sequence[Template]) -> Optional[str]:
    """Record the bot's messages; what the resident says next, or None to stop."""
    messages = []
    for reply in replies:
        text = reply.get("text") or ""
        buttons = [{"title": b.get("title", ""), "payload": b.get("payload", "")}
                   for b in reply.get("buttons") or []]
        name, values = recognise(text, templates) if text else (None, {})
        messages.append(BotMessage(text, name, values, buttons))
        shown = text + "".join(f"  [{b['title']}]" for b in buttons)
        result.transcript.append(("bot", f"{shown}   <{name or '?'}>"))
        if name is None:
            result.unrecognised.append(text or repr(reply))
        elif name.startswith(RISK_PREFIX) or name == CALLBACK_OFFER:
            result.risk_responses.append(name)
        elif name in RISK_OF_CHECK:
            result.checks.append(RISK_OF_CHECK[name])
        elif name.startswith("utter_booking_confirmed") and result.turns_to_booking is None:
            result.turns_to_booking = result.turns
    if not messages:
        result.transcript.append(("bot", "(no reply)"))

    # the callback offer first: it is the question the resident must answer now
    if any(m.name == CALLBACK_OFFER for m in messages):
        return "no thanks"
    for message in reversed(messages):
        said = talk.reply(message)
        if said is not None:
            key = (message.name or "", said)
            talk.given[key] = talk.given.get(key, 0) + 1
            return said if talk.given[key] <= MAX_SAME_ANSWER else LET_IT_GO
    names = {m.name for m in messages}
    if names & ENDINGS:
        result.stopped = "ended: " + ", ".join(sorted(n for n in names & ENDINGS))
        return None
    if any(m.name and m.name.startswith(RISK_PREFIX) for m in messages):
        return "no thanks"
    if "utter_default" in names and not talk.repeated_default:
        talk.repeated_default = True
        return talk.last_said  # "could you say it another way?": say it again
    if not talk.sorry_said:
        talk.sorry_said = True
        return "sorry?"
    result.stopped = "stuck: no question recognised"
    return None


async def latest_handoff(http: aiohttp.ClientSession, handoff_url: str, token: str,
                         sender: str) -> Optional[Dict[str, Any]]:
    async with http.get(handoff_url.rstrip("/") + "/api/v1/handoffs",
                        params={"conversation_id": sender},
                        headers={"Authorization": f"Bearer {token}"}) as response:
        response.raise_for_status()
        handoffs = await response.json()
    return handoffs[-1] if handoffs else None


async def run_all(rasa_url: str, handoff_url: str, token: str, residents: Sequence[Resident],
                  concurrency: int = 1) -> List[Result]:
    templates = load_templates()
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(resident: Resident) -> Result:
        async with gate:
            return await run_resident(rasa_url, handoff_url, token, resident, templates)

    return list(await asyncio.gather(*(one(r) for r in residents)))


# --- figures ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Totals:
    recall: float
    precision: float
    median_turns: Optional[float]
    max_turns: Optional[int]
    not_booked: int
    false_alarms: int          # risk responses shown to residents without that risk
    false_alarm_residents: int
    needless_checks: int       # check questions about a risk the resident does not have
    needless_check_residents: int
    residents: int

    @property
    def meets_targets(self) -> bool:
        return (self.recall >= TARGETS["recall"] and self.precision >= TARGETS["precision"]
                and self.median_turns is not None and self.median_turns <= TARGETS["median_turns"]
                and self.not_booked == 0 and self.false_alarms == 0)


def totals(results: Sequence[Result]) -> Totals:
    true_positive = sum(len(r.found & r.truth) for r in results)
    found = sum(len(r.found) for r in results)
    truth = sum(len(r.truth) for r in results)
    turns = [r.turns_to_booking for r in results if r.booked]
    return Totals(recall=true_positive / truth if truth else 1.0,
                  precision=true_positive / found if found else 0.0,
                  median_turns=statistics.median(turns) if turns else None,
                  max_turns=max(turns) if turns else None,
                  not_booked=sum(1 for r in results if not r.booked),
                  false_alarms=sum(len(r.false_alarms) for r in results),
                  false_alarm_residents=sum(1 for r in results if r.false_alarms),
                  needless_checks=sum(len(r.needless_checks) for r in results),
                  needless_check_residents=sum(1 for r in results if r.needless_checks),
                  residents=len(results))


def counted(names: Sequence[str]) -> str:
    seen: Dict[str, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    return ", ".join(f"{n} x{c}" if c > 1 else n for n, c in seen.items())


def report(results: Sequence[Result]) -> str:
    lines = [f"{'resident':<14} {'booked':>6} {'turns':>5}  needs (ok / +wrong / -missed, * hidden)"]
    for r in results:
        ok = sorted(r.found & r.truth)
        extra = sorted(r.found - r.truth)
        missed = sorted(r.truth - r.found)
        star = lambda n: n + ("*" if n in r.resident.hidden else "")  # noqa: E731
        needs = " ".join([star(n) for n in ok] + ["+" + n for n in extra] + ["-" + star(n) for n in missed])
        turns = str(r.turns_to_booking) if r.booked else f"({r.turns})"
        lines.append(f"{r.resident.id:<14} {'yes' if r.booked else 'NO':>6} {turns:>5}  {needs}")
        notes = []
        if r.false_alarms:
            notes.append("FALSE ALARM " + counted(r.false_alarms))
        elif r.risk_responses:
            notes.append("risk response (expected) " + counted(r.risk_responses))
        if r.checks:
            notes.append("asked to check " + counted(r.checks))
        if r.unrecognised:
            notes.append(f"unrecognised bot messages: {r.unrecognised}")
        if not r.booked and r.stopped:
            notes.append(r.stopped)
        if r.error:
            notes.append("error: " + r.error)
        lines.extend(f"{'':<14} ! {note}" for note in notes)
    t = totals(results)
    median = "-" if t.median_turns is None else f"{t.median_turns:g}"
    lines += [
        "",
        f"residents {t.residents}",
        f"needs recall     {t.recall:.3f}  (target >= {TARGETS['recall']:.2f})",
        f"needs precision  {t.precision:.3f}  (target >= {TARGETS['precision']:.2f})",
        f"turns to booking median {median} (target <= {TARGETS['median_turns']}), max {t.max_turns}",
        f"not booked       {t.not_booked}",
        f"false alarms     {t.false_alarms} risk responses to {t.false_alarm_residents} residents without that risk",
        f"check questions  {t.needless_checks} about a risk the resident does not have, "
        f"to {t.needless_check_residents} residents",
        "targets " + ("met" if t.meets_targets else "NOT met"),
    ]
    return "\n".join(lines)


# --- a stack of its own ---------------------------------------------------------------------------

@contextlib.contextmanager
def own_stack(model: Optional[str] = None) -> Iterator[Tuple[str, str, str]]:
    """The whole stack on free ports with a temporary DATA_DIR: (rasa url, handoff url, token)."""
    import tempfile

    from bot import train
    from bot.stack import Stack, environment, free_port

    spacy_path = os.environ.get("SPACY_MODEL_PATH") or str(
        Path(os.environ.get("DATA_DIR") or ROOT / ".data").resolve() / "spacy" / "en_triage")
    os.environ["SPACY_MODEL_PATH"] = spacy_path  # the model's cache key reads it
    model_path = Path(model or os.environ.get("RASA_MODEL") or train.model_path())
    if not model_path.exists():
        raise SystemExit(f"no trained model at {model_path}: run `make train` or pass --model")
    with tempfile.TemporaryDirectory(prefix="triage-sim-") as data_dir:
        env = environment({
            "DATA_DIR": data_dir, "SPACY_MODEL_PATH": spacy_path,
            "RASA_PORT": free_port(), "ACTIONS_PORT": free_port(), "HANDOFF_PORT": free_port(),
            "HANDOFF_API_TOKEN": uuid.uuid4().hex, "DATABASE_URL": "", "TRACKER_STORE_URL": "",
        })
        stack = Stack(env=env, model=model_path, handoff_python=os.environ.get(
            "HANDOFF_PYTHON", str(ROOT / ".venv-handoff" / "bin" / "python")))
        try:
            print(f"starting the stack (model {model_path.name}, data in {data_dir}) ...",
                  file=sys.stderr, flush=True)
            stack.prepare()
            stack.start()
            yield stack.url("rasa"), stack.url("handoff"), stack.env["HANDOFF_API_TOKEN"]
        finally:
            stack.stop()


def default_token() -> str:
    token = os.environ.get("HANDOFF_API_TOKEN")
    if token:
        return token
    path = Path(os.environ.get("DATA_DIR") or ROOT / ".data") / "handoff_api_token"
    return path.read_text().strip() if path.exists() else ""


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.simulation.simulator",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rasa", default=f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}")
    parser.add_argument("--handoff", default=f"http://127.0.0.1:{os.environ.get('HANDOFF_PORT', '8080')}")
    parser.add_argument("--token", default=None, help="handoff service token "
                        "(default: $HANDOFF_API_TOKEN or $DATA_DIR/handoff_api_token)")
    parser.add_argument("--only", default="", help="comma-separated resident ids")
    parser.add_argument("--transcript", default="",
                        help="comma-separated resident ids whose transcripts to print ('all' for every one)")
    parser.add_argument("--start-stack", action="store_true",
                        help="start the whole stack on free ports with a temporary DATA_DIR")
    parser.add_argument("--model", default=None, help="model for --start-stack")
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args(argv)

    residents = load_residents()
    if args.only:
        wanted = [i.strip() for i in args.only.split(",") if i.strip()]
        unknown = set(wanted) - {r.id for r in residents}
        if unknown:
            parser.error(f"unknown resident ids: {', '.join(sorted(unknown))}")
        residents = [r for r in residents if r.id in wanted]
    show = {i.strip() for i in args.transcript.split(",") if i.strip()}

    def run(rasa: str, handoff: str, token: str) -> List[Result]:
        return asyncio.run(run_all(rasa, handoff, token, residents, args.concurrency))

    if args.start_stack:
        with own_stack(args.model) as (rasa, handoff, token):
            results = run(rasa, handoff, token)
    else:
        results = run(args.rasa, args.handoff, args.token or default_token())

    for r in results:
        if "all" in show or r.resident.id in show:
            print(r.format_transcript() + "\n")
    print(report(results))
    return 0 if totals(results).meets_targets else 1


if __name__ == "__main__":
    sys.exit(main())
