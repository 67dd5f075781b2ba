"""Turn weekly availability (local time) into bookable UTC slots."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import ACTIVE_STATUSES, AvailabilityException, Booking, WeeklyAvailability

UTC = dt.timezone.utc
# Don't offer a slot the worker cannot prepare for.
MIN_LEAD = dt.timedelta(minutes=30)
HORIZON_DAYS = 28


@dataclass(frozen=True, order=True)
class Slot:
    start: dt.datetime
    end: dt.datetime

    def as_json(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def _window_slots(day: dt.date, start: dt.time, end: dt.time, minutes: int, tz: ZoneInfo) -> Iterable[Slot]:
    step = dt.timedelta(minutes=minutes)
    cursor = dt.datetime.combine(day, start)
    last = dt.datetime.combine(day, end)
    while cursor + step <= last:
        # Localise each wall-clock time separately so slots follow DST changes.
        local_start = cursor.replace(tzinfo=tz)
        local_end = (cursor + step).replace(tzinfo=tz)
        yield Slot(local_start.astimezone(UTC), local_end.astimezone(UTC))
        cursor += step


def slots_between(
    weekly: Sequence[WeeklyAvailability],
    exceptions: Sequence[AvailabilityException],
    tz: ZoneInfo,
    first_day: dt.date,
    days: int,
) -> list[Slot]:
    """All slots (booked or not) on local dates first_day .. first_day+days-1, soonest first."""
    found: set[Slot] = set()
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        todays = [e for e in exceptions if e.day == day]
        if not any(e.kind == "off" for e in todays):
            for window in weekly:
                if window.weekday == day.weekday():
                    found.update(_window_slots(day, window.start_time, window.end_time, window.slot_minutes, tz))
        for extra in todays:
            if extra.kind == "extra" and extra.start_time and extra.end_time:
                found.update(_window_slots(day, extra.start_time, extra.end_time, extra.slot_minutes, tz))
    return sorted(found)


async def _load_rules(
    session: AsyncSession, worker_id: int
) -> tuple[list[WeeklyAvailability], list[AvailabilityException]]:
    weekly = (
        await session.scalars(select(WeeklyAvailability).where(WeeklyAvailability.worker_id == worker_id))
    ).all()
    exceptions = (
        await session.scalars(select(AvailabilityException).where(AvailabilityException.worker_id == worker_id))
    ).all()
    return list(weekly), list(exceptions)


async def booked_starts(session: AsyncSession, worker_id: int, after: dt.datetime) -> set[dt.datetime]:
    rows = await session.scalars(
        select(Booking.start_at).where(
            Booking.worker_id == worker_id,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start_at >= after,
        )
    )
    return set(rows.all())


async def free_slots(
    session: AsyncSession,
    worker_id: int,
    tz: ZoneInfo,
    now: dt.datetime,
    limit: int | None = None,
    days: int = HORIZON_DAYS,
) -> list[Slot]:
    """Future free slots of one worker, soonest first (at least MIN_LEAD from now)."""
    weekly, exceptions = await _load_rules(session, worker_id)
    earliest = now + MIN_LEAD
    taken = await booked_starts(session, worker_id, earliest)
    free = [
        slot
        for slot in slots_between(weekly, exceptions, tz, now.astimezone(tz).date(), days)
        if slot.start >= earliest and slot.start not in taken
    ]
    return free[:limit] if limit is not None else free


async def find_slot(session: AsyncSession, worker_id: int, start: dt.datetime, tz: ZoneInfo) -> Slot | None:
    """The worker's real slot starting exactly at `start`, booked or not; None if there is none."""
    weekly, exceptions = await _load_rules(session, worker_id)
    local_day = start.astimezone(tz).date()
    for slot in slots_between(weekly, exceptions, tz, local_day - dt.timedelta(days=1), 3):
        if slot.start == start:
            return slot
    return None
