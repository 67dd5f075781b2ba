"""The warm handoff summary, composed from what the conversation learned (nothing invented)."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from rasa_sdk import Tracker

from actions.resident import identity
from bot.taxonomy import NEED_LABELS


def compose(tracker: Tracker, booking: Optional[Dict[str, Any]],
            slot: Optional[Callable[[str], Any]] = None) -> Dict[str, Any]:
    """The handoff payload for POST /api/v1/handoffs. Quotes only with the resident's consent.

    `slot` reads slot values including those set earlier in the same turn (default: tracker).
    """
    slot = slot or tracker.get_slot
    consented = slot("consent") is True
    needs: List[str] = slot("needs") or []
    quotes: List[Dict[str, Any]] = (slot("in_their_words") or []) if consented else []
    risks: List[str] = slot("risks") or []
    who = identity(tracker)
    return {
        "conversation_id": tracker.sender_id,
        "channel": who["channel"],
        "presenting_issue": slot("presenting_issue") or "other",
        "needs": [
            {
                "id": need,
                "label": NEED_LABELS[need],
                "in_their_words": [q["text"] for q in quotes if need in q.get("needs", [])],
            }
            for need in needs
        ],
        "priority_need": needs[0] if needs else None,
        "urgent": bool(risks),
        "risks": risks,
        "in_their_words": [q["text"] for q in quotes],
        "what_they_want": None,
        "already_asked": [],
        "resident": {"name": None, "contact": None, "preferred_contact": who["channel"],
                     "language": "en"},
        "consent": {"share_with_worker": consented},
        "booking_id": booking["id"] if booking else None,
        # one handoff per booking, however often a retry sends it
        "idempotency_key": f"{tracker.sender_id}:{booking['id'] if booking else 'callback'}",
    }
