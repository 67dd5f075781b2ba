"""What the resident said in the latest message, as the actions need it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

from bot.taxonomy import NEED_IDS, PRESENTING_ISSUES, RISK_IDS, risk_of_intent

QUOTE_CHARS = 280  # a short quote is enough for the worker; least data kept
CONTENT_INTENTS = {"inform", "nlu_fallback"}


@dataclass(frozen=True)
class Message:
    text: str
    intent: str
    needs: List[str]
    risks: List[str]
    entities: List[Dict[str, Any]]
    confidence: float = 1.0

    @classmethod
    def latest(cls, tracker: Tracker) -> "Message":
        latest = tracker.latest_message or {}
        entities = latest.get("entities") or []
        intent = (latest.get("intent") or {}).get("name") or ""
        risks = _ids(entities, "risk", RISK_IDS)
        intent_risk = risk_of_intent(intent)
        if intent_risk and intent_risk not in risks:
            risks.append(intent_risk)
        return cls(
            text=(latest.get("text") or "").strip(),
            intent=intent,
            needs=_ids(entities, "need", NEED_IDS),
            risks=risks,
            entities=entities,
            confidence=_confidence(latest.get("intent") or {}),
        )

    @property
    def presenting_issue(self) -> Optional[str]:
        """The issue this message opens with, if it names one (an entity: see
        bot/cues/presenting_issues.yml)."""
        issues = _ids(self.entities, "presenting_issue", PRESENTING_ISSUES)
        return issues[0] if issues else None

    @property
    def is_payload(self) -> bool:
        return self.text.startswith("/")

    @property
    def tells_something(self) -> bool:
        """Whether this message is part of the person's story (worth quoting)."""
        return not self.is_payload and bool(
            self.needs or self.risks or self.presenting_issue or self.intent in CONTENT_INTENTS
        )

    def quote(self) -> Optional[Dict[str, Any]]:
        if not self.tells_something or len(self.text) < 3:
            return None
        text = self.text if len(self.text) <= QUOTE_CHARS else self.text[: QUOTE_CHARS - 1] + "…"
        return {"text": text, "needs": self.needs}

    def entity(self, name: str) -> Optional[str]:
        for entity in self.entities:
            if entity.get("entity") == name:
                return str(entity.get("value"))
        return None


def _confidence(intent: Dict[str, Any]) -> float:
    """How sure the classifier was; an intent given without one (a button's payload) is sure."""
    value = intent.get("confidence")
    return 1.0 if value is None else float(value)


def _ids(entities: List[Dict[str, Any]], kind: str, valid: tuple) -> List[str]:
    found: List[str] = []
    for entity in entities:
        value = entity.get("value")
        if entity.get("entity") == kind and value in valid and value not in found:
            found.append(value)
    return found


def identity(tracker: Tracker) -> Dict[str, str]:
    """How the handoff service recognises a returning resident: channel + sender id."""
    return {"channel": tracker.get_latest_input_channel() or "rest", "identity": tracker.sender_id}


_NAME_LEAD = re.compile(
    r"^(?:(?:hi|hello|ok|okay|yes|yeah|sure)[,.!]?\s+)?(?:you can\s+|please\s+|just\s+)?"
    r"(?:my name(?:'s| is)|name(?:'s| is)|i am|i'm|im|it's|its|it is|call me|this is|"
    r"i go by|people call me)?\s*",
    re.I)
_NAME = re.compile(r"^[^\W\d_][^\W\d_'’.-]*(?:['’.-][^\W\d_]+)*$")
_NOT_NAMES = {"no", "nope", "skip", "none", "nothing", "anything", "whatever", "dont", "don't",
              "not", "rather", "prefer", "fine", "ok", "okay", "yes", "thanks", "thank", "hi",
              "hello", "idk", "n/a", "na", "me", "you", "it", "that", "doesn't", "matter"}


def name_from(text: str) -> Optional[str]:
    """The name they would like to be called, from "Sam", "it's Mrs Begum", "call me Jo".

    Nothing is guessed: more than three words, digits, or a refusal give None.
    """
    rest = _NAME_LEAD.sub("", (text or "").strip().strip(".!"), count=1).strip(" .!,")
    words = rest.split()
    if not 1 <= len(words) <= 3 or len(rest) > 60:
        return None
    if any(not _NAME.match(w.rstrip(".")) or w.lower() in _NOT_NAMES for w in words):
        return None
    return " ".join(w if not w.islower() else w.capitalize() for w in words)
