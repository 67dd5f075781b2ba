"""Booking, cancelling and moving appointments; the database decides who gets a contested slot."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from . import notify, reminders
from .errors import Conflict, Invalid, NotFound, SlotTaken
from .models import ACTIVE_STATUSES, Booking, Handoff, Worker, utcnow
from .residents import find_resident, get_or_create_resident, update_profile
from .schemas import BookingRequest
from .slots import find_slot

MODE_PLACES = {"phone": "By phone", "video": "Video call"}


@dataclass
class Booked:
    booking: Booking
    created: bool


def appointment_location(booking: Booking) -> str:
    """Where the appointment happens: the worker's place for face to face, else the medium."""
    if booking.mode == "face_to_face":
        return booking.worker.location
    return MODE_PLACES.get(booking.mode, booking.mode)


def booking_json(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.id,
        "worker": {"id": booking.worker.id, "name": booking.worker.name},
        "start": booking.start_at.isoformat(),
        "end": booking.end_at.isoformat(),
        "mode": booking.mode,
        "location": appointment_location(booking),
        "status": booking.status,
    }


async def get_booking(session: AsyncSession, booking_id: int) -> Booking:
    booking = await session.scalar(
        select(Booking).options(selectinload(Booking.worker)).where(Booking.id == booking_id)
    )
    if booking is None:
        raise NotFound(f"There is no booking with id {booking_id}.")
    return booking


async def _by_idempotency_key(session: AsyncSession, key: str) -> Booking | None:
    return await session.scalar(
        select(Booking).options(selectinload(Booking.worker)).where(Booking.idempotency_key == key)
    )


async def _check_slot(
    session: AsyncSession, worker: Worker, start: dt.datetime, tz: ZoneInfo, now: dt.datetime
) -> dt.datetime:
    """Return the slot's end, or raise Invalid; deliberately does NOT check whether it is free."""
    if start <= now:
        raise Invalid("That time is in the past.", field="start")
    slot = await find_slot(session, worker.id, start, tz)
    if slot is None:
        raise Invalid(f"{start.isoformat()} is not one of {worker.name}'s appointment times.", field="start")
    return slot.end


async def create_booking(
    sessionmaker: async_sessionmaker[AsyncSession], request: BookingRequest, tz: ZoneInfo
) -> Booked:
    """Book a slot in one transaction; SlotTaken if the database already holds it."""
    key = request.idempotency_key
    if key:
        async with sessionmaker() as session:
            existing = await _by_idempotency_key(session, key)
            if existing is not None:
                return Booked(existing, created=False)
    try:
        async with sessionmaker.begin() as session:
            worker = await session.get(Worker, request.worker_id)
            if worker is None or not worker.active:
                raise NotFound(f"There is no active worker with id {request.worker_id}.")
            if request.mode not in worker.contact_modes:
                raise Invalid(f"{worker.name} does not offer {request.mode} appointments.", field="mode")
            start = request.start.astimezone(dt.timezone.utc)
            end = await _check_slot(session, worker, start, tz, utcnow())
            resident = await get_or_create_resident(session, request.channel, request.resident.identity)
            update_profile(resident, request.resident.model_dump())
            booking = Booking(
                worker=worker,
                resident_id=resident.id,
                start_at=start,
                end_at=end,
                mode=request.mode,
                status="booked",
                conversation_id=request.conversation_id,
                channel=request.channel,
                idempotency_key=key,
            )
            session.add(booking)
            # The partial unique index on active (worker, start) raises here if the slot is taken.
            await session.flush()
            resident.previous_worker_id = worker.id
            if request.conversation_id:
                await _attach_to_waiting_handoffs(session, booking)
            await notify.booking_made(session, booking)
            await reminders.schedule(session, booking)
            return Booked(booking, created=True)
    except IntegrityError:
        if key:
            async with sessionmaker() as session:
                existing = await _by_idempotency_key(session, key)
                if existing is not None:
                    return Booked(existing, created=False)
        raise SlotTaken("That time has just been booked by someone else.", field="start") from None


async def _attach_to_waiting_handoffs(session: AsyncSession, booking: Booking) -> None:
    """A summary written before the booking belongs to it (same conversation)."""
    handoffs = await session.scalars(
        select(Handoff).where(Handoff.conversation_id == booking.conversation_id, Handoff.booking_id.is_(None))
    )
    for handoff in handoffs:
        handoff.booking_id = booking.id


async def cancel_booking(sessionmaker: async_sessionmaker[AsyncSession], booking_id: int) -> tuple[Booking, bool]:
    """Cancel (idempotently; True if it changed); the unique index ignores cancelled rows, freeing the slot."""
    async with sessionmaker.begin() as session:
        booking = await get_booking(session, booking_id)
        changed = booking.status != "cancelled"
        booking.status = "cancelled"
        if changed:
            await notify.booking_changed(session, booking)
            await reminders.cancel(session, booking.id)
        return booking, changed


async def move_booking(
    sessionmaker: async_sessionmaker[AsyncSession], booking_id: int, start: dt.datetime, tz: ZoneInfo
) -> tuple[Booking, bool]:
    """Move an active booking to another of the same worker's slots (True if it changed)."""
    start = start.astimezone(dt.timezone.utc)
    try:
        async with sessionmaker.begin() as session:
            booking = await get_booking(session, booking_id)
            if booking.status not in ACTIVE_STATUSES:
                raise Conflict("A cancelled booking cannot be moved; make a new booking instead.")
            if booking.start_at == start:
                return booking, False
            booking.end_at = await _check_slot(session, booking.worker, start, tz, utcnow())
            booking.start_at = start
            booking.status = "moved"
            await session.flush()
            await notify.booking_changed(session, booking)
            await reminders.schedule(session, booking)
            return booking, True
    except IntegrityError:
        raise SlotTaken("That time has just been booked by someone else.", field="start") from None


async def upcoming_booking(
    session: AsyncSession, channel: str, identity: str
) -> tuple[Booking | None, Any]:
    """The resident (or None) and their soonest future active booking (or None)."""
    resident = await find_resident(session, channel, identity)
    if resident is None:
        return None, None
    booking = await session.scalar(
        select(Booking)
        .options(selectinload(Booking.worker))
        .where(
            Booking.resident_id == resident.id,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start_at > utcnow(),
        )
        .order_by(Booking.start_at)
        .limit(1)
    )
    return booking, resident
