"""Retention: personal records older than RETENTION_DAYS are deleted (`python -m handoff retention`).

Old means untouched since the cutoff: summaries last updated before it (and not tied to a
booking that ends after it), bookings that ended before it, notes, alerts and consent records
made before it, and residents with nothing left. A conversation left with nothing here is
also forgotten by Rasa (an erase_conversation job). Finished jobs older than the cutoff go too.
Anonymous counts and the audit trail (ids only) are kept.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .erasure import enqueue_rasa_erasure
from .models import Booking, ConsentRecord, Handoff, HandoffNote, Job, Resident, UrgentAlert, utcnow

log = logging.getLogger(__name__)
FINISHED_JOB_STATUSES = ("done", "failed", "cancelled")


@dataclass
class RetentionReport:
    handoffs: int = 0
    notes: int = 0
    urgent_alerts: int = 0
    consent_records: int = 0
    bookings: int = 0
    residents: int = 0
    jobs: int = 0
    conversations_erased_in_rasa: int = 0

    def lines(self) -> list[str]:
        return [f"{name}: {count}" for name, count in asdict(self).items()]


async def apply_retention(
    sessionmaker: async_sessionmaker[AsyncSession], days: int, dry_run: bool = False, now: dt.datetime | None = None
) -> RetentionReport:
    """Delete what is older than `days` (in one transaction); with dry_run, count and roll back."""
    if days < 1:
        raise ValueError("retention must keep at least one day")
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    async with sessionmaker() as session:
        report = await _apply(session, cutoff)
        if dry_run:
            await session.rollback()
        else:
            await session.commit()
    log.info("retention (%s days%s): %s", days, ", dry run" if dry_run else "", asdict(report))
    return report


async def _delete(session: AsyncSession, statement: Any) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


async def _apply(session: AsyncSession, cutoff: dt.datetime) -> RetentionReport:
    report = RetentionReport()
    old_bookings = select(Booking.id).where(Booking.end_at < cutoff)
    booking_ids = list((await session.scalars(old_bookings)).all())
    recent_bookings = select(Booking.id).where(Booking.end_at >= cutoff)
    handoff_ids = list(
        (
            await session.scalars(
                select(Handoff.id).where(
                    Handoff.updated_at < cutoff,
                    or_(Handoff.booking_id.is_(None), Handoff.booking_id.not_in(recent_bookings)),
                )
            )
        ).all()
    )
    conversations = set(
        (await session.scalars(select(Handoff.conversation_id).where(Handoff.id.in_(handoff_ids)))).all()
    ) | {
        c
        for c in (await session.scalars(select(Booking.conversation_id).where(Booking.id.in_(booking_ids)))).all()
        if c
    }

    report.notes = await _delete(
        session, delete(HandoffNote).where(or_(HandoffNote.handoff_id.in_(handoff_ids), HandoffNote.created_at < cutoff))
    )
    report.urgent_alerts = await _delete(
        session, delete(UrgentAlert).where(or_(UrgentAlert.handoff_id.in_(handoff_ids), UrgentAlert.created_at < cutoff))
    )
    report.consent_records = await _delete(
        session, delete(ConsentRecord).where(or_(ConsentRecord.handoff_id.in_(handoff_ids), ConsentRecord.at < cutoff))
    )
    await session.execute(
        update(Handoff)
        .where(Handoff.booking_id.in_(booking_ids))
        .values(booking_id=None)
        .execution_options(synchronize_session=False)
    )
    report.handoffs = await _delete(session, delete(Handoff).where(Handoff.id.in_(handoff_ids)))
    report.bookings = await _delete(session, delete(Booking).where(Booking.id.in_(booking_ids)))
    # Residents with nothing left, and not touched since the cutoff (a new one may be mid-booking).
    report.residents = await _delete(
        session,
        delete(Resident).where(
            Resident.updated_at < cutoff,
            Resident.id.not_in(select(Booking.resident_id)),
            Resident.id.not_in(select(Handoff.resident_id).where(Handoff.resident_id.is_not(None))),
        ),
    )
    report.jobs = await _delete(
        session, delete(Job).where(Job.status.in_(FINISHED_JOB_STATUSES), Job.updated_at < cutoff)
    )
    # Rasa forgets a conversation only when nothing of it is left here (a tracker is per conversation).
    for conversation_id in sorted(conversations):
        still_here = await session.scalar(
            select(Handoff.id).where(Handoff.conversation_id == conversation_id).limit(1)
        ) or await session.scalar(select(Booking.id).where(Booking.conversation_id == conversation_id).limit(1))
        if still_here is None:
            await enqueue_rasa_erasure(session, conversation_id)
            report.conversations_erased_in_rasa += 1
    return report
