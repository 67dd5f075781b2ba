"""Email to workers: a link to the page, never the resident's story."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from .settings import Settings

log = logging.getLogger(__name__)
SENDER = "handoff-service@localhost"


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
    """Send (or write to the outbox); failures are logged, never raised into the request."""
    message = _message(to, subject, body)
    try:
        if settings.smtp_url:
            await _send_smtp(settings.smtp_url, message)
            log.info("email %s sent by SMTP", kind)
        else:
            name = await asyncio.to_thread(_write_outbox, settings, message)
            log.info("email %s written to outbox as %s", kind, name)
    except Exception:  # noqa: BLE001 - a lost email must not undo a booking
        log.exception("email %s could not be sent", kind)


def _local(settings: Settings, when: dt.datetime) -> str:
    return when.astimezone(settings.tz).strftime("%A %d %B %Y at %H:%M")


async def booking_made(settings: Settings, worker_email: str, booking_id: int, start: dt.datetime, mode: str) -> None:
    link = f"{settings.public_url}/appointments/{booking_id}"
    body = (
        "Hello,\n\n"
        f"A new appointment ({mode.replace('_', ' ')}) has been booked with you for {_local(settings, start)}.\n"
        f"Read the handoff summary before you meet: {link}\n\n"
        "(Details are only shown after you log in.)\n"
    )
    await send_email(settings, worker_email, "New appointment booked", body, kind=f"booking:{booking_id}")


async def urgent_raised(settings: Settings, worker_email: str, handoff_id: int) -> None:
    link = f"{settings.public_url}/handoffs/{handoff_id}"
    body = (
        "Hello,\n\n"
        "You are on duty and a resident needs urgent contact.\n"
        f"Open the alert now: {link}\n\n"
        "(Details are only shown after you log in.)\n"
    )
    await send_email(settings, worker_email, "URGENT: a resident needs contact today", body, kind=f"urgent:{handoff_id}")


async def booking_changed(settings: Settings, worker_email: str, booking_id: int, start: dt.datetime, status: str) -> None:
    what = "cancelled" if status == "cancelled" else f"moved to {_local(settings, start)}"
    link = f"{settings.public_url}/appointments/{booking_id}"
    body = f"Hello,\n\nAn appointment with you has been {what}.\nDetails: {link}\n"
    await send_email(settings, worker_email, f"Appointment {status}", body, kind=f"{status}:{booking_id}")
