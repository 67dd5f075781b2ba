"""Choose named workers for a resident: history first, then needs, language and soonest time."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Worker
from .residents import find_resident
from .schemas import MatchRequest
from .slots import Slot, free_slots


@dataclass
class Candidate:
    worker: Worker
    slots: list[Slot]
    previous: bool
    covers_priority: bool
    other_needs_covered: int
    speaks_language: bool

    def rank(self) -> tuple[Any, ...]:
        # Sorted ascending: False before True, so each flag is negated.
        return (
            not self.previous,
            not self.covers_priority,
            -self.other_needs_covered,
            not self.speaks_language,
            self.slots[0].start,
            self.worker.id,
        )

    def as_json(self, language: str | None) -> dict[str, Any]:
        w = self.worker
        return {
            "id": w.id,
            "name": w.name,
            "intro": w.intro,
            "role": w.role,
            "needs": list(w.needs),
            "languages": list(w.languages),
            "modes": list(w.contact_modes),
            "location": w.location,
            "phone": w.phone,
            "previous": self.previous,
            "interpreter_needed": bool(language) and not self.speaks_language,
            "slots": [s.as_json() for s in self.slots],
        }


async def match_workers(
    session: AsyncSession, request: MatchRequest, tz: ZoneInfo, now: dt.datetime
) -> list[dict[str, Any]]:
    """Workers with free slots, best first (see Candidate.rank)."""
    previous_id = None
    if request.resident is not None:
        resident = await find_resident(session, request.resident.channel, request.resident.identity)
        previous_id = resident.previous_worker_id if resident else None
    priority = request.needs[0] if request.needs else None
    others = set(request.needs[1:])
    workers = (await session.scalars(select(Worker).where(Worker.active.is_(True)).order_by(Worker.id))).all()
    candidates: list[Candidate] = []
    for worker in workers:
        if request.modes and not set(request.modes) & set(worker.contact_modes):
            continue
        covered = set(worker.needs)
        previous = worker.id == previous_id
        if request.needs and not previous and not covered & set(request.needs):
            continue  # someone who can help with none of it would be another "pillar to post"
        slots = await free_slots(session, worker.id, tz, now, limit=request.max_slots)
        if not slots:
            continue
        candidates.append(
            Candidate(
                worker=worker,
                slots=slots,
                previous=previous,
                covers_priority=priority in covered if priority else False,
                other_needs_covered=len(others & covered),
                speaks_language=request.language in worker.languages if request.language else False,
            )
        )
    candidates.sort(key=Candidate.rank)
    return [c.as_json(request.language) for c in candidates[: request.max_workers]]
