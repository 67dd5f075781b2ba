"""Reminders for residents before their appointment, delivered by Rasa on their own channel.

The service only decides *when* (start − 24 h, start − 2 h) and checks the booking still
stands; Rasa's action_remind_<kind> decides what is safe to send and words it.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.ext.asyncio import AsyncSession

from . import rasa
from .jobs import JobContext, cancel_pending, enqueue, handler
from .models import Booking, Job, utcnow

log = logging.getLogger(__name__)
REMINDER = "reminder"
ACTION = "action_remind_{}"  # action_remind_day_before, action_remind_two_hours
BEFORE = {"day_before": dt.timedelta(hours=24), "two_hours": dt.timedelta(hours=2)}


def _prefix(booking_id: int) -> str:
    return f"{REMINDER}:{booking_id}:"


async def schedule(session: AsyncSession, booking: Booking, now: dt.datetime | None = None) -> None:
    """(Re)schedule a booking's reminders for its current start; times already past are skipped."""
    await cancel(session, booking.id)
    if not booking.conversation_id or not booking.is_active:
        return  # nobody to remind through Rasa
    now = now or utcnow()
    start = booking.start_at.isoformat()
    for kind, before in BEFORE.items():
        run_at = booking.start_at - before
        if run_at <= now:
            continue
        await enqueue(
            session,
            REMINDER,
            {"booking_id": booking.id, "reminder": kind, "start": start},
            run_at=run_at,
            dedupe_key=f"{_prefix(booking.id)}{kind}:{start}",
        )


async def cancel(session: AsyncSession, booking_id: int) -> int:
    return await cancel_pending(session, _prefix(booking_id))


@handler(REMINDER)
async def send_reminder(ctx: JobContext, job: Job) -> None:
    payload = job.payload
    async with ctx.sessionmaker() as session:
        booking = await session.get(Booking, payload["booking_id"])
    # Re-checked at send time: a cancel or move may have raced with this job being claimed.
    if (
        booking is None
        or not booking.is_active
        or not booking.conversation_id
        or booking.start_at != dt.datetime.fromisoformat(payload["start"])
        or booking.start_at <= utcnow()
    ):
        log.info("reminder job %s is stale (booking %s changed); dropped", job.id, payload["booking_id"])
        return
    await rasa.execute_action(ctx, booking.conversation_id, booking.channel,
                              ACTION.format(payload["reminder"]))
    log.info("reminder %s for booking %s handed to Rasa", payload["reminder"], booking.id)
