"""Email to workers, sent by background jobs: a link to the page, never the resident's story."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .jobs import Fail, JobContext, Retry, enqueue, handler
from .models import Booking, Job, Worker
from .settings import Settings

log = logging.getLogger(__name__)
SENDER = "handoff-service@localhost"
# Job kinds: each carries ids only; the handler looks up the worker's address when it runs.
BOOKING_MADE = "notify_booking_made"
BOOKING_CHANGED = "notify_booking_changed"
URGENT_RAISED = "notify_urgent"


def _message(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@handoff>"
    message.set_content(body)
    return message


def _write_outbox(settings: Settings, message: EmailMessage) -> str:
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    path = settings.outbox_dir / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(message.as_bytes())
    return path.name


async def _send_smtp(smtp_url: str, message: EmailMessage) -> None:
    import aiosmtplib

    url = urlsplit(smtp_url)
    await aiosmtplib.send(
        message,
        hostname=url.hostname or "localhost",
        port=url.port or (465 if url.scheme == "smtps" else 25),
        use_tls=url.scheme == "smtps",
        username=unquote(url.username) if url.username else None,
        password=unquote(url.password) if url.password else None,
        timeout=10,
    )


async def send_email(settings: Settings, to: str, subject: str, body: str, kind: str) -> None:
    """Send (or write to the outbox); a failure raises Retry so the job tries again later."""
    message = _message(to, subject, body)
    try:
        if settings.smtp_url:
            await _send_smtp(settings.smtp_url, message)
            log.info("email %s sent by SMTP", kind)
        else:
            name = await asyncio.to_thread(_write_outbox, settings, message)
            log.info("email %s written to outbox as %s", kind, name)
    except Exception as exc:  # noqa: BLE001 - SMTP and disk errors alike are worth retrying
        raise Retry(f"email not sent: {type(exc).__name__}") from exc


def _local(settings: Settings, when: dt.datetime) -> str:
    return when.astimezone(settings.tz).strftime("%A %d %B %Y at %H:%M")


# Enqueueing (inside the transaction that made the change, so the email cannot be lost).


async def booking_made(session: AsyncSession, booking: Booking) -> None:
    await enqueue(session, BOOKING_MADE, {"booking_id": booking.id}, dedupe_key=f"{BOOKING_MADE}:{booking.id}")


async def booking_changed(session: AsyncSession, booking: Booking, *, erased: bool = False) -> None:
    """Cancelled or moved; `erased` when the booking row is about to go (no link to it then)."""
    payload = {
        "booking_id": None if erased else booking.id,
        "worker_id": booking.worker_id,
        "status": booking.status,
        "start": booking.start_at.isoformat(),
    }
    await enqueue(session, BOOKING_CHANGED, payload)


async def urgent_raised(session: AsyncSession, handoff_id: int, worker_id: int) -> None:
    await enqueue(session, URGENT_RAISED, {"handoff_id": handoff_id, "worker_id": worker_id})


# Handlers: read what they need when they run; a worker's address may have changed meanwhile.


async def _worker_email(ctx: JobContext, worker_id: int) -> str:
    async with ctx.sessionmaker() as session:
        email = await session.scalar(select(Worker.email).where(Worker.id == worker_id))
    if email is None:
        raise Fail(f"worker {worker_id} no longer exists")
    return email


@handler(BOOKING_MADE)
async def send_booking_made(ctx: JobContext, job: Job) -> None:
    booking_id = job.payload["booking_id"]
    async with ctx.sessionmaker() as session:
        booking = await session.get(Booking, booking_id)
    if booking is None:
        log.info("booking %s no longer exists (erased); no email", booking_id)
        return
    settings = ctx.settings
    link = f"{settings.public_url}/appointments/{booking.id}"
    body = (
        "Hello,\n\n"
        f"A new appointment ({booking.mode.replace('_', ' ')}) has been booked with you for {_local(settings, booking.start_at)}.\n"
        f"Read the handoff summary before you meet: {link}\n\n"
        "(Details are only shown after you log in.)\n"
    )
    to = await _worker_email(ctx, booking.worker_id)
    await send_email(settings, to, "New appointment booked", body, kind=f"booking:{booking.id}")


@handler(URGENT_RAISED)
async def send_urgent_raised(ctx: JobContext, job: Job) -> None:
    handoff_id = job.payload["handoff_id"]
    settings = ctx.settings
    link = f"{settings.public_url}/handoffs/{handoff_id}"
    body = (
        "Hello,\n\n"
        "You are on duty and a resident needs urgent contact.\n"
        f"Open the alert now: {link}\n\n"
        "(Details are only shown after you log in.)\n"
    )
    to = await _worker_email(ctx, job.payload["worker_id"])
    await send_email(settings, to, "URGENT: a resident needs contact today", body, kind=f"urgent:{handoff_id}")


@handler(BOOKING_CHANGED)
async def send_booking_changed(ctx: JobContext, job: Job) -> None:
    settings = ctx.settings
    payload = job.payload
    status = payload["status"]
    start = dt.datetime.fromisoformat(payload["start"])
    what = "cancelled" if status == "cancelled" else f"moved to {_local(settings, start)}"
    booking_id = payload.get("booking_id")
    if booking_id is None:
        # Erased at the resident's request: the time, so the worker can find it; nothing else.
        body = f"Hello,\n\nAn appointment with you on {_local(settings, start)} has been cancelled.\n"
    else:
        link = f"{settings.public_url}/appointments/{booking_id}"
        body = f"Hello,\n\nAn appointment with you has been {what}.\nDetails: {link}\n"
    to = await _worker_email(ctx, payload["worker_id"])
    await send_email(settings, to, f"Appointment {status}", body, kind=f"{status}:{booking_id}")
