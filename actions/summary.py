"""The warm handoff summary, composed from what the conversation learned (nothing invented).

Without the resident's consent only what the booking needs is sent: no quotes, no story, no
"what they want" — the handoff service enforces the same rule on its side.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from rasa_sdk import Tracker

from actions.need import AREA_WORDS
from actions.resident import identity
from bot.taxonomy import NEED_LABELS

Slot = Callable[[str], Any]

ASKED = {"consent": "whether we may note what they say", "story": "what has been happening",
         "anything_else": "whether anything else is affecting them",
         "priority": "which need matters most", "wants": "what they want from the appointment",
         "mode": "how they would like to meet", "contact": "how to contact them safely",
         "name": "what name to use for them"}


def compose(tracker: Tracker, booking: Optional[Dict[str, Any]],
            slot: Optional[Slot] = None) -> Dict[str, Any]:
    """The handoff payload for POST /api/v1/handoffs.

    `slot` reads slot values including those set earlier in the same turn (default: tracker).
    """
    slot = slot or tracker.get_slot
    who = identity(tracker)
    return {
        "conversation_id": tracker.sender_id,
        "channel": who["channel"],
        "presenting_issue": slot("presenting_issue") or "other",
        "booking_id": booking["id"] if booking else None,
        # one handoff per booking, however often a retry sends it
        "idempotency_key": f"{tracker.sender_id}:{booking['id'] if booking else 'callback'}",
        **update(tracker, slot),
    }


def update(tracker: Tracker, slot: Optional[Slot] = None) -> Dict[str, Any]:
    """The fields that can change after the handoff was first stored (for PATCH)."""
    slot = slot or tracker.get_slot
    consented = slot("consent") is True
    needs: List[str] = slot("needs") or []
    quotes: List[Dict[str, Any]] = (slot("in_their_words") or []) if consented else []
    risks: List[str] = slot("risks") or []
    reached = slot("resident_contact") or {}
    who = identity(tracker)
    return {
        "needs": [{"id": n, "label": NEED_LABELS[n],
                   "in_their_words": [q["text"] for q in quotes if n in q.get("needs", [])]}
                  for n in needs],
        "priority_need": slot("priority_need") or (needs[0] if needs else None),
        "urgent": bool(risks),
        "risks": risks,
        "in_their_words": [q["text"] for q in quotes],
        "what_they_want": slot("what_they_want") if consented else None,
        "already_asked": already_asked(slot),
        "resident": {
            "name": slot("resident_name"),
            "contact": reached.get("contact"),
            "preferred_contact": reached.get("preferred_contact") or who["channel"],
            "safe_contact": reached.get("safe_contact"),
            "language": slot("language") or "en",
        },
        "consent": {"share_with_worker": consented},
    }


def already_asked(slot: Slot) -> List[str]:
    """What the resident has already been asked, so the worker doesn't ask it again."""
    asked = [ASKED["consent"], ASKED["story"]]
    for area in slot("explored_areas") or []:
        asked.append(ASKED["anything_else"] if area == "anything_else" else f"about {AREA_WORDS[area]}")
    if slot("priority_need"):
        asked.append(ASKED["priority"])
    if slot("what_they_want"):
        asked.append(ASKED["wants"])
    asked += [ASKED["mode"], ASKED["contact"]]
    if slot("resident_name"):
        asked.append(ASKED["name"])
    return asked
