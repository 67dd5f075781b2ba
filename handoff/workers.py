"""Workers: accounts, passwords (argon2) and their availability rules."""
from __future__ import annotations

import datetime as dt
import functools
import secrets
from typing import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .errors import Conflict, Invalid, NotFound
from .models import AvailabilityException, WeeklyAvailability, Worker

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the email is unknown, so a login takes the same time either way.
    return _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def authenticate(session: AsyncSession, email: str, password: str) -> Worker | None:
    """The active worker with this email and password, else None."""
    worker = await session.scalar(select(Worker).where(Worker.email == email.strip().lower()))
    try:
        _hasher.verify(worker.password_hash if worker else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if worker is None or not worker.active:
        return None
    if _hasher.check_needs_rehash(worker.password_hash):
        worker.password_hash = hash_password(password)
    return worker


async def get_worker(session: AsyncSession, worker_id: int) -> Worker:
    worker = await session.get(Worker, worker_id)
    if worker is None:
        raise NotFound(f"There is no worker with id {worker_id}.")
    return worker


async def create_worker(
    session: AsyncSession,
    *,
    name: str,
    email: str,
    password: str | None = None,
    password_hash: str | None = None,
    intro: str = "",
    role: str = "",
    needs: Iterable[str] = (),
    languages: Iterable[str] = (),
    location: str = "",
    phone: str = "",
    contact_modes: Iterable[str] = ("phone",),
    is_admin: bool = False,
    on_duty: bool = False,
) -> Worker:
    if not password and not password_hash:
        raise Invalid("A worker needs a password.", field="password")
    worker = Worker(
        name=name.strip(),
        email=email.strip().lower(),
        password_hash=password_hash or hash_password(password or ""),
        intro=intro.strip(),
        role=role.strip(),
        needs=list(needs),
        languages=list(languages),
        location=location.strip(),
        phone=phone.strip(),
        contact_modes=list(contact_modes),
        is_admin=is_admin,
        on_duty=on_duty,
        active=True,
        calendar_secret=secrets.token_urlsafe(24),
    )
    # A friendly message for the common case; the unique constraint still guards races.
    if await session.scalar(select(Worker.id).where(Worker.email == worker.email)) is not None:
        raise Conflict(f"A worker with email {worker.email} already exists.", field="email")
    session.add(worker)
    await session.flush()
    return worker


async def weekly_hours(session: AsyncSession, worker_id: int) -> list[WeeklyAvailability]:
    rows = await session.scalars(
        select(WeeklyAvailability)
        .where(WeeklyAvailability.worker_id == worker_id)
        .order_by(WeeklyAvailability.weekday, WeeklyAvailability.start_time)
    )
    return list(rows.all())


async def exceptions_of(session: AsyncSession, worker_id: int) -> list[AvailabilityException]:
    rows = await session.scalars(
        select(AvailabilityException)
        .where(AvailabilityException.worker_id == worker_id)
        .order_by(AvailabilityException.day)
    )
    return list(rows.all())


def _overlaps(a_start: dt.time, a_end: dt.time, b_start: dt.time, b_end: dt.time) -> bool:
    return a_start < b_end and b_start < a_end


async def add_weekly_hours(
    session: AsyncSession, worker_id: int, weekday: int, start: dt.time, end: dt.time, slot_minutes: int
) -> WeeklyAvailability:
    """Add a weekly window; Invalid if it ends before it starts or overlaps another that day."""
    if not 0 <= weekday <= 6:
        raise Invalid("Choose a day of the week.", field="weekday")
    if end <= start:
        raise Invalid("The end time must be after the start time.", field="end")
    if not 10 <= slot_minutes <= 480:
        raise Invalid("Appointments must be between 10 and 480 minutes long.", field="slot_minutes")
    for window in await weekly_hours(session, worker_id):
        if window.weekday == weekday and _overlaps(start, end, window.start_time, window.end_time):
            raise Invalid(
                f"These hours overlap {window.start_time:%H:%M}–{window.end_time:%H:%M} on the same day.",
                field="start",
            )
    window = WeeklyAvailability(
        worker_id=worker_id, weekday=weekday, start_time=start, end_time=end, slot_minutes=slot_minutes
    )
    session.add(window)
    return window


async def add_exception(
    session: AsyncSession,
    worker_id: int,
    day: dt.date,
    kind: str,
    start: dt.time | None,
    end: dt.time | None,
    today: dt.date,
) -> AvailabilityException:
    """Add a day off or extra hours; Invalid for past dates, bad times or overlapping extra hours."""
    if day < today:
        raise Invalid("That date is in the past.", field="day")
    if kind not in ("off", "extra"):
        raise Invalid("Choose a day off or extra hours.", field="kind")
    if kind == "extra":
        if start is None or end is None:
            raise Invalid("Extra hours need a start and an end time.", field="start")
        if end <= start:
            raise Invalid("The end time must be after the start time.", field="end")
        for other in await exceptions_of(session, worker_id):
            if (
                other.day == day
                and other.kind == "extra"
                and other.start_time
                and other.end_time
                and _overlaps(start, end, other.start_time, other.end_time)
            ):
                raise Invalid("These extra hours overlap other extra hours that day.", field="start")
    else:
        start = end = None
    exception = AvailabilityException(worker_id=worker_id, day=day, kind=kind, start_time=start, end_time=end, slot_minutes=60)
    session.add(exception)
    return exception
