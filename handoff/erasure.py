"""Erasure ("delete my data"): everything personal held for one conversation, here and in Rasa.

One transaction removes the conversation's handoffs (with their notes, alerts and consent
records), its bookings and the resident rows known by that conversation id. A future booking
is cancelled first, so its worker is told (by a job that carries no resident data) and the
slot frees. Audit entries (ids only) and anonymous counts stay. A job then asks Rasa to forget
its tracker for the conversation; it is the one job whose payload holds a conversation id,
and the id is blanked as soon as Rasa has confirmed.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from . import notify, rasa, reminders
from .audit import record_read
from .jobs import Fail, JobContext, enqueue, handler
from .models import (
    ACTIVE_STATUSES,
    Booking,
    ConsentRecord,
    Handoff,
    HandoffNote,
    Job,
    Resident,
    UrgentAlert,
    utcnow,
)

log = logging.getLogger(__name__)
ERASE_CONVERSATION = "erase_conversation"


@dataclass
class Receipt:
    """What was erased, as counts only (the API returns it as JSON)."""

    handoffs: int = 0
    notes: int = 0
    urgent_alerts: int = 0
    consent_records: int = 0
    bookings: int = 0
    future_bookings_cancelled: int = 0
    reminders_cancelled: int = 0
    residents: int = 0

    def json(self) -> dict[str, Any]:
        return {"erased": asdict(self), "rasa_erasure": "queued"}


async def erase_conversation(
    sessionmaker: async_sessionmaker[AsyncSession], conversation_id: str, worker_id: int | None = None
) -> Receipt:
    """Erase everything personal for a conversation id (idempotent: a second call erases nothing more)."""
    async with sessionmaker.begin() as session:
        receipt = await erase_in_session(session, conversation_id, worker_id)
        # Always, even when nothing was held here: Rasa may know the conversation all the same.
        await enqueue_rasa_erasure(session, conversation_id)
    log.info("erasure done: %s", asdict(receipt))
    return receipt


async def enqueue_rasa_erasure(session: AsyncSession, conversation_id: str) -> None:
    await enqueue(session, ERASE_CONVERSATION, {"conversation_id": conversation_id})


async def _ids(session: AsyncSession, query: Any) -> set[int]:
    return set((await session.scalars(query)).all())


def _in(ids: set[int]) -> list[int]:
    return sorted(ids)


async def erase_in_session(session: AsyncSession, conversation_id: str, worker_id: int | None = None) -> Receipt:
    receipt = Receipt()
    handoff_ids = await _ids(session, select(Handoff.id).where(Handoff.conversation_id == conversation_id))
    # Residents known by this conversation id (their channel identity is Rasa's sender id).
    resident_ids = await _ids(session, select(Resident.id).where(Resident.identity == conversation_id))
    booking_query = select(Booking).where(
        or_(Booking.conversation_id == conversation_id, Booking.resident_id.in_(_in(resident_ids)))
    )
    bookings = list((await session.scalars(booking_query.with_for_update())).all())
    booking_ids = {b.id for b in bookings}
    # Residents reached only through this conversation's bookings and summaries go too,
    # unless something outside this erasure still needs them.
    linked = {b.resident_id for b in bookings} | await _ids(
        session, select(Handoff.resident_id).where(Handoff.id.in_(_in(handoff_ids)), Handoff.resident_id.is_not(None))
    )
    for resident_id in linked - resident_ids:
        other_bookings = await _ids(
            session, select(Booking.id).where(Booking.resident_id == resident_id, Booking.id.not_in(_in(booking_ids)))
        )
        other_handoffs = await _ids(
            session, select(Handoff.id).where(Handoff.resident_id == resident_id, Handoff.id.not_in(_in(handoff_ids)))
        )
        if not other_bookings and not other_handoffs:
            resident_ids.add(resident_id)

    now = utcnow()
    for booking in bookings:
        receipt.reminders_cancelled += await reminders.cancel(session, booking.id)
        if booking.status in ACTIVE_STATUSES and booking.start_at > now:
            booking.status = "cancelled"  # frees the slot; the worker hears only that it was cancelled
            await notify.booking_changed(session, booking, erased=True)
            receipt.future_bookings_cancelled += 1
    await session.flush()

    receipt.notes = await _delete(session, delete(HandoffNote).where(HandoffNote.handoff_id.in_(_in(handoff_ids))))
    receipt.urgent_alerts = await _delete(session, delete(UrgentAlert).where(UrgentAlert.handoff_id.in_(_in(handoff_ids))))
    receipt.consent_records = await _delete(
        session,
        delete(ConsentRecord).where(
            or_(ConsentRecord.handoff_id.in_(_in(handoff_ids)), ConsentRecord.resident_id.in_(_in(resident_ids)))
        ),
    )
    # Summaries of other conversations must not keep pointing at rows that are going.
    await session.execute(
        update(Handoff)
        .where(Handoff.id.not_in(_in(handoff_ids)), Handoff.booking_id.in_(_in(booking_ids)))
        .values(booking_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Handoff)
        .where(Handoff.id.not_in(_in(handoff_ids)), Handoff.resident_id.in_(_in(resident_ids)))
        .values(resident_id=None)
        .execution_options(synchronize_session=False)
    )
    receipt.handoffs = await _delete(session, delete(Handoff).where(Handoff.id.in_(_in(handoff_ids))))
    receipt.bookings = await _delete(session, delete(Booking).where(Booking.id.in_(_in(booking_ids))))
    receipt.residents = await _delete(session, delete(Resident).where(Resident.id.in_(_in(resident_ids))))
    for handoff_id in sorted(handoff_ids):
        record_read(session, worker_id, handoff_id, "erased", allowed=True)
    return receipt


async def _delete(session: AsyncSession, statement: Any) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


@handler(ERASE_CONVERSATION)
async def erase_in_rasa(ctx: JobContext, job: Job) -> dict[str, Any] | None:
    """POST {RASA_URL}/webhooks/privacy/erase; any non-2xx is retried (Rasa must forget in the end)."""
    conversation_id = job.payload.get("conversation_id")
    if not conversation_id:
        return None  # already done (a second run after a lost lease)
    base = rasa.base_url(ctx)
    if not ctx.settings.rasa_erase_token:
        raise Fail("RASA_ERASE_TOKEN not set")
    await rasa.post(
        ctx,
        f"{base}/webhooks/privacy/erase",
        {"conversation_id": conversation_id},
        headers={"Authorization": f"Bearer {ctx.settings.rasa_erase_token}"},
        retry_any_4xx=True,
    )
    log.info("Rasa confirmed erasure for job %s", job.id)
    return {"conversation_id": None}  # nothing personal kept once Rasa has forgotten
