"""Weekly hours in local time become UTC slots (no database)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from handoff.models import AvailabilityException, WeeklyAvailability
from handoff.slots import slots_between

LONDON = ZoneInfo("Europe/London")


def weekday_hours(weekday: int) -> WeeklyAvailability:
    return WeeklyAvailability(weekday=weekday, start_time=dt.time(9), end_time=dt.time(12), slot_minutes=60)


def test_winter_hours_are_utc_and_summer_hours_shift_by_an_hour() -> None:
    winter = slots_between([weekday_hours(0)], [], LONDON, dt.date(2026, 11, 23), 1)
    summer = slots_between([weekday_hours(0)], [], LONDON, dt.date(2026, 6, 1), 1)
    assert [s.start.isoformat() for s in winter] == [
        "2026-11-23T09:00:00+00:00", "2026-11-23T10:00:00+00:00", "2026-11-23T11:00:00+00:00"
    ]
    assert summer[0].start.isoformat() == "2026-06-01T08:00:00+00:00"
    assert all(s.end - s.start == dt.timedelta(hours=1) for s in winter + summer)


def test_a_day_off_removes_the_weekly_hours_and_extra_hours_add_slots() -> None:
    monday, tuesday = dt.date(2026, 11, 23), dt.date(2026, 11, 24)
    exceptions = [
        AvailabilityException(day=monday, kind="off", start_time=None, end_time=None, slot_minutes=60),
        AvailabilityException(day=tuesday, kind="extra", start_time=dt.time(18), end_time=dt.time(19, 30), slot_minutes=30),
    ]
    slots = slots_between([weekday_hours(0), weekday_hours(1)], exceptions, LONDON, monday, 2)
    assert all(s.start.date() == tuesday for s in slots)
    assert len(slots) == 3 + 3  # three weekly hours and three extra half hours


def test_a_window_shorter_than_a_slot_offers_nothing() -> None:
    short = WeeklyAvailability(weekday=0, start_time=dt.time(9), end_time=dt.time(9, 45), slot_minutes=60)
    assert slots_between([short], [], LONDON, dt.date(2026, 11, 23), 7) == []
