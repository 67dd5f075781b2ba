"""Appointment slots as a resident sees them: readable times, and picking one in plain words."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Dict, List, Optional
from zoneinfo import ZoneInfo

ORDINALS = {"first": 0, "1st": 0, "earliest": 0, "soonest": 0, "second": 1, "2nd": 1,
            "third": 2, "3rd": 2}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def when(start_iso: str, timezone: str) -> str:
    """'Tuesday 24 November at 10:00' in the charity's local time."""
    start = datetime.fromisoformat(start_iso).astimezone(ZoneInfo(timezone))
    return f"{start:%A} {start.day} {start:%B} at {start:%H:%M}"


def short_label(start_iso: str, timezone: str) -> str:
    """A button title that fits WhatsApp's 20 characters: 'Tue 24 Nov, 10:00'."""
    start = datetime.fromisoformat(start_iso).astimezone(ZoneInfo(timezone))
    return f"{start:%a} {start.day} {start:%b}, {start:%H:%M}"


def choose(offered: List[Dict[str, Any]], text: str, entity_value: Optional[str],
           timezone: str) -> Optional[Dict[str, Any]]:
    """The offered slot the resident picked, from a button payload, a number or plain words."""
    if not offered:
        return None
    for slot in offered:
        if entity_value and entity_value == slot["start"]:
            return slot
    words = re.findall(r"[a-z0-9:]+", (entity_value or text or "").lower())
    if "last" in words:
        return offered[-1]
    for word in words:
        if word.isdigit() and 1 <= int(word) <= len(offered) and len(words) <= 3:
            return offered[int(word) - 1]
        if word in ORDINALS and ORDINALS[word] < len(offered):
            return offered[ORDINALS[word]]
    local = [datetime.fromisoformat(s["start"]).astimezone(ZoneInfo(timezone)) for s in offered]
    day_hits = [i for i, t in enumerate(local) if WEEKDAYS[t.weekday()] in words
                or WEEKDAYS[t.weekday()][:3] in words]
    hour_hits = [i for i, t in enumerate(local) if _mentions_hour(words, t)]
    both = [i for i in day_hits if i in hour_hits]
    for hits in (both, day_hits, hour_hits):
        if len(hits) == 1:
            return offered[hits[0]]
    return None


def _mentions_hour(words: List[str], start: datetime) -> bool:
    twelve = start.hour % 12 or 12
    suffix = "am" if start.hour < 12 else "pm"
    forms = {f"{start:%H:%M}", f"{start.hour}:{start:%M}", f"{twelve}{suffix}",
             f"{twelve}:{start:%M}{suffix}"}
    return bool(forms.intersection(words)) or (
        str(twelve) in words and start.minute == 0 and len(words) > 1)
