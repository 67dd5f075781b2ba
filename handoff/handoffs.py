"""Warm handoff summaries: storing them (consent-aware), reading them, urgent alerts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from . import notify as notify_worker
from .counts import count_new_handoff
from .bookings import appointment_location
from .errors import NotFound
from .models import (
    ACTIVE_STATUSES,
    Booking,
    ConsentRecord,
    Handoff,
    HandoffNote,
    Resident,
    UrgentAlert,
    Worker,
    utcnow,
)
from .need import need_label
from .residents import PROFILE_FIELDS, find_resident, update_profile
from .schemas import HandoffCreate, HandoffFields, HandoffPatch, UrgentRequest

# What the resident told us in their own words. Without consent none of it is stored;
# only what the booking and safeguarding need (contact details, urgency, risks) is kept.
STORY_FIELDS = ("presenting_issue", "needs", "priority_need", "in_their_words", "what_they_want", "already_asked")
STORY_EMPTY: dict[str, Any] = {
    "presenting_issue": None,
    "needs": [],
    "priority_need": None,
    "in_their_words": [],
    "what_they_want": None,
    "already_asked": [],
}
RESIDENT_FIELDS = frozenset({"name", "contact", "preferred_contact", "safe_contact", "language", "access_needs"})


@dataclass
class Stored:
    handoff: Handoff
    created: bool


def _with_booking() -> Any:
    return selectinload(Handoff.booking).selectinload(Booking.worker)


async def get_handoff(session: AsyncSession, handoff_id: int) -> Handoff:
    handoff = await session.scalar(select(Handoff).options(_with_booking()).where(Handoff.id == handoff_id))
    if handoff is None:
        raise NotFound(f"There is no handoff with id {handoff_id}.")
    return handoff


async def handoffs_for_conversation(session: AsyncSession, conversation_id: str) -> list[Handoff]:
    rows = await session.scalars(
        select(Handoff)
        .options(_with_booking())
        .where(Handoff.conversation_id == conversation_id)
        .order_by(Handoff.created_at, Handoff.id)
    )
    return list(rows.all())


def _story_values(fields: HandoffFields, given: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in STORY_FIELDS:
        if name not in given:
            continue
        if name == "needs":
            values["needs"] = [
                {"id": n.id, "label": n.label or need_label(n.id), "in_their_words": list(n.in_their_words)}
                for n in fields.needs
            ]
        else:
            value = getattr(fields, name)
            values[name] = list(value) if isinstance(value, list) else value
    return values


def _apply(handoff: Handoff, fields: HandoffFields, given: set[str]) -> None:
    """Apply the given fields; story fields only while the resident consents to sharing."""
    if "consent" in given:
        handoff.share_with_worker = fields.consent.share_with_worker
    if handoff.share_with_worker:
        for name, value in _story_values(fields, given).items():
            setattr(handoff, name, value)
    else:
        for name, value in STORY_EMPTY.items():
            setattr(handoff, name, value)
    if "urgent" in given and fields.urgent:
        handoff.urgent = True  # urgency is never withdrawn by a later update
    if "risks" in given:
        handoff.risks = merge_risks(handoff.risks, fields.risks)
    if handoff.risks:
        handoff.urgent = True
    if "resident" in given:
        resident = fields.resident
        for name in RESIDENT_FIELDS & resident.model_fields_set:
            setattr(handoff, f"resident_{name}", getattr(resident, name))


def merge_risks(old: list[str] | None, new: list[str]) -> list[str]:
    merged = list(old or [])
    merged.extend(r for r in new if r not in merged)
    return merged


async def _link_booking(session: AsyncSession, handoff: Handoff, booking_id: int | None) -> None:
    if booking_id is not None:
        booking = await session.get(Booking, booking_id)
        if booking is None:
            raise NotFound(f"There is no booking with id {booking_id}.", field="booking_id")
    else:
        # A booking made earlier in the same conversation is the one this summary is for.
        booking = await session.scalar(
            select(Booking)
            .where(Booking.conversation_id == handoff.conversation_id, Booking.status.in_(ACTIVE_STATUSES))
            .order_by(Booking.start_at.desc())
            .limit(1)
        )
        if booking is None:
            return
    handoff.booking_id = booking.id
    handoff.resident_id = booking.resident_id


async def _link_resident(session: AsyncSession, handoff: Handoff) -> None:
    if handoff.resident_id is None:
        # Rasa's sender id is the resident's identity on that channel.
        resident = await find_resident(session, handoff.channel, handoff.conversation_id)
        handoff.resident_id = resident.id if resident else None


def _record_consent(session: AsyncSession, handoff: Handoff) -> None:
    session.add(
        ConsentRecord(resident_id=handoff.resident_id, handoff_id=handoff.id, share_with_worker=handoff.share_with_worker)
    )


async def _by_idempotency_key(session: AsyncSession, key: str) -> Handoff | None:
    return await session.scalar(select(Handoff).options(_with_booking()).where(Handoff.idempotency_key == key))


async def create_handoff(sessionmaker: async_sessionmaker[AsyncSession], request: HandoffCreate) -> Stored:
    """Store a new summary, or return the one already stored under the same idempotency key."""
    key = request.idempotency_key
    if key:
        async with sessionmaker() as session:
            existing = await _by_idempotency_key(session, key)
            if existing is not None:
                return Stored(existing, created=False)
    try:
        async with sessionmaker.begin() as session:
            handoff = Handoff(
                conversation_id=request.conversation_id,
                channel=request.channel,
                idempotency_key=key,
                share_with_worker=False,
                urgent=False,
                risks=[],
                **STORY_EMPTY,
            )
            _apply(handoff, request, set(request.model_fields_set) | {"consent", "resident"})
            await _link_booking(session, handoff, request.booking_id)
            await _link_resident(session, handoff)
            session.add(handoff)
            await session.flush()
            _record_consent(session, handoff)
            await _sync_resident_profile(session, handoff)
            await count_new_handoff(session, handoff)
            return Stored(await get_handoff(session, handoff.id), created=True)
    except IntegrityError:
        if key:
            async with sessionmaker() as session:
                existing = await _by_idempotency_key(session, key)
                if existing is not None:
                    return Stored(existing, created=False)
        raise


async def _sync_resident_profile(session: AsyncSession, handoff: Handoff) -> None:
    if handoff.resident_id is None:
        return
    resident = await session.get(Resident, handoff.resident_id)
    if resident is not None:
        update_profile(
            resident,
            {name: getattr(handoff, f"resident_{name}") for name in PROFILE_FIELDS},
        )


async def update_handoff(
    sessionmaker: async_sessionmaker[AsyncSession], handoff_id: int, request: HandoffPatch
) -> Handoff:
    """Apply a partial update: risks merge, urgency only rises, consent can be withdrawn."""
    given = set(request.model_fields_set)
    async with sessionmaker.begin() as session:
        handoff = await get_handoff(session, handoff_id)
        consent_before = handoff.share_with_worker
        _apply(handoff, request, given)
        if "booking_id" in given:
            await _link_booking(session, handoff, request.booking_id)
        if handoff.share_with_worker != consent_before:
            _record_consent(session, handoff)
        await _sync_resident_profile(session, handoff)
        await session.flush()
        return await get_handoff(session, handoff.id)


async def duty_worker(session: AsyncSession, duty_email: str | None) -> Worker | None:
    """Who is on duty: DUTY_WORKER_EMAIL if set, else the first active on-duty worker."""
    query = select(Worker).where(Worker.active.is_(True))
    if duty_email:
        query = query.where(Worker.email == duty_email.strip().lower())
    else:
        query = query.where(Worker.on_duty.is_(True))
    return await session.scalar(query.order_by(Worker.id).limit(1))


@dataclass
class Raised:
    handoff: Handoff
    duty_worker: Worker | None
    notify: bool  # True when the duty worker has something new to hear about


async def raise_urgent(
    sessionmaker: async_sessionmaker[AsyncSession], request: UrgentRequest, duty_email: str | None
) -> Raised:
    """Create or update the conversation's summary as urgent and put an alert in front of the duty worker."""
    async with sessionmaker.begin() as session:
        handoff = await session.scalar(
            select(Handoff)
            .where(Handoff.conversation_id == request.conversation_id)
            .order_by(Handoff.created_at.desc(), Handoff.id.desc())
            .limit(1)
            .with_for_update()
        )
        new_risks = list(request.risks)
        is_new = handoff is None
        if handoff is None:
            handoff = Handoff(
                conversation_id=request.conversation_id,
                channel=request.channel,
                share_with_worker=False,
                urgent=True,
                risks=[],
                **STORY_EMPTY,
            )
            await _link_booking(session, handoff, None)
            await _link_resident(session, handoff)
            session.add(handoff)
            await session.flush()
            _record_consent(session, handoff)
        else:
            new_risks = [r for r in request.risks if r not in (handoff.risks or [])]
        handoff.urgent = True
        handoff.risks = merge_risks(handoff.risks, request.risks)
        handoff.callback_requested = handoff.callback_requested or request.callback_requested
        if request.resident is not None:
            for name in RESIDENT_FIELDS & request.resident.model_fields_set:
                setattr(handoff, f"resident_{name}", getattr(request.resident, name))
        worker = await duty_worker(session, duty_email)
        alert = await session.scalar(select(UrgentAlert).where(UrgentAlert.handoff_id == handoff.id))
        notify = False
        if alert is None:
            alert = UrgentAlert(handoff_id=handoff.id, worker_id=worker.id if worker else None)
            session.add(alert)
            notify = True
        elif new_risks:
            alert.acknowledged_at = None  # something new: show it again
            notify = True
        if handoff.duty_worker_id is None and worker is not None:
            handoff.duty_worker_id = worker.id
        await session.flush()
        if is_new:
            await count_new_handoff(session, handoff)
        if notify and worker is not None:
            await notify_worker.urgent_raised(session, handoff.id, worker.id)
        return Raised(await get_handoff(session, handoff.id), worker, notify and worker is not None)


def handoff_json(handoff: Handoff) -> dict[str, Any]:
    """The contract shape of GET /api/v1/handoffs (DESIGN.md); keep it exact."""
    booking = handoff.booking
    active = booking is not None and booking.status in ACTIVE_STATUSES
    return {
        "id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "channel": handoff.channel,
        "created_at": handoff.created_at.isoformat(),
        "presenting_issue": handoff.presenting_issue,
        "needs": [
            {"id": n["id"], "label": n.get("label") or need_label(n["id"]), "in_their_words": list(n.get("in_their_words") or [])}
            for n in handoff.needs or []
        ],
        "priority_need": handoff.priority_need,
        "urgent": handoff.urgent,
        "risks": list(handoff.risks or []),
        "in_their_words": list(handoff.in_their_words or []),
        "what_they_want": handoff.what_they_want,
        "already_asked": list(handoff.already_asked or []),
        "resident": {
            "name": handoff.resident_name,
            "contact": handoff.resident_contact,
            "preferred_contact": handoff.resident_preferred_contact,
            "language": handoff.resident_language,
        },
        "consent": {"share_with_worker": handoff.share_with_worker},
        "worker": {"id": booking.worker.id, "name": booking.worker.name} if active and booking else None,
        "appointment": (
            {
                "start": booking.start_at.isoformat(),
                "end": booking.end_at.isoformat(),
                "mode": booking.mode,
                "location": appointment_location(booking),
            }
            if active and booking
            else None
        ),
        # Additive fields beyond the DESIGN.md contract (nested objects stay exact).
        "booking_id": booking.id if active and booking else None,
        "callback_requested": handoff.callback_requested,
        "read_at": handoff.read_at.isoformat() if handoff.read_at else None,
    }


def can_read(worker: Worker, handoff: Handoff) -> bool:
    """A worker reads the summaries of their own residents, and urgent ones raised to them on duty."""
    booking = handoff.booking
    if booking is not None and booking.worker_id == worker.id:
        return True
    return handoff.urgent and handoff.duty_worker_id == worker.id


async def mark_read(session: AsyncSession, handoff: Handoff, worker: Worker) -> None:
    if handoff.read_at is None:
        handoff.read_at = utcnow()
        handoff.read_by_worker_id = worker.id
    alert = await session.scalar(select(UrgentAlert).where(UrgentAlert.handoff_id == handoff.id))
    if alert is not None and alert.acknowledged_at is None:
        alert.acknowledged_at = utcnow()


async def notes_for(session: AsyncSession, handoff_id: int) -> list[HandoffNote]:
    rows = await session.scalars(
        select(HandoffNote)
        .options(selectinload(HandoffNote.worker))
        .where(HandoffNote.handoff_id == handoff_id)
        .order_by(HandoffNote.created_at)
    )
    return list(rows.all())
