"""Worker web app: log in, see appointments and urgent alerts, read handoffs, add notes."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Awaitable, Callable
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .api import wake_jobs
from .audit import record_read
from .bookings import appointment_location
from .calendar import worker_feed
from .erasure import erase_conversation
from .errors import NotFound
from .handoffs import can_read, get_handoff, mark_read, notes_for
from .keys import SESSIONMAKER, SETTINGS
from .models import ACTIVE_STATUSES, Booking, Handoff, HandoffNote, UrgentAlert, Worker, utcnow
from .need import CONTACT_MODES, NEEDS, PRESENTING_ISSUES, RISKS
from .sessions import WORKER, csrf_token, log_in, log_out, login_required
from .workers import authenticate

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_NOTE = 2000


async def render(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    """Render with what every page needs: the CSRF token, the worker, the local timezone."""
    context = {
        "csrf_token": await csrf_token(request),
        "me": request.get(WORKER),
        "tz": request.app[SETTINGS].tz,
        **context,
    }
    response = aiohttp_jinja2.render_template(template, request, context, status=status)
    response.headers["Cache-Control"] = "no-store"  # summaries must not linger in shared caches
    return response


@web.middleware
async def html_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Plain, friendly pages for 403/404/405 in the worker app."""
    if request.path.startswith("/api/"):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status in (403, 404, 405):
            return await render(request, "error.html", {"status": exc.status, "message": exc.text}, status=exc.status)
        raise
    except NotFound as exc:
        return await render(request, "error.html", {"status": 404, "message": exc.detail}, status=404)


def _safe_next(value: str | None) -> str:
    # Only same-site paths, so the login form cannot be used as an open redirect.
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return "/"


@routes.get("/login")
async def login_form(request: web.Request) -> web.Response:
    return await render(request, "login.html", {"next": _safe_next(request.query.get("next")), "error": None})


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    email, password = str(form.get("email", ""))[:254], str(form.get("password", ""))[:1000]
    next_url = _safe_next(str(form.get("next", "/")))
    async with request.app[SESSIONMAKER].begin() as session:
        worker = await authenticate(session, email, password)
    if worker is None:
        log.info("failed login")
        return await render(
            request, "login.html", {"next": next_url, "error": "That email and password do not match.", "email": email}, status=401
        )
    await log_in(request, worker)
    log.info("worker %s logged in", worker.id)
    raise web.HTTPFound(next_url)


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    await log_out(request)
    raise web.HTTPFound("/login")


@routes.get("/")
@login_required
async def home(request: web.Request) -> web.Response:
    """My appointments (today and upcoming, urgent first) and urgent alerts for the duty worker."""
    me: Worker = request[WORKER]
    tz = request.app[SETTINGS].tz
    start_of_today = dt.datetime.combine(utcnow().astimezone(tz).date(), dt.time(0), tzinfo=tz)
    async with request.app[SESSIONMAKER]() as session:
        bookings = (
            await session.scalars(
                select(Booking)
                .options(selectinload(Booking.worker), selectinload(Booking.resident))
                .where(Booking.worker_id == me.id, Booking.status.in_(ACTIVE_STATUSES), Booking.end_at >= start_of_today)
                .order_by(Booking.start_at)
            )
        ).all()
        handoffs = (
            await session.scalars(select(Handoff).where(Handoff.booking_id.in_([b.id for b in bookings])))
        ).all() if bookings else []
        alerts = (
            await session.execute(
                select(UrgentAlert, Handoff)
                .join(Handoff, Handoff.id == UrgentAlert.handoff_id)
                .where(UrgentAlert.worker_id == me.id, UrgentAlert.acknowledged_at.is_(None))
                .order_by(UrgentAlert.created_at)
            )
        ).all()
    by_booking = {h.booking_id: h for h in handoffs}
    rows = [{"booking": b, "handoff": by_booking.get(b.id), "location": appointment_location(b)} for b in bookings]
    rows.sort(key=lambda r: (not (r["handoff"] and r["handoff"].urgent), r["booking"].start_at))
    today = utcnow().astimezone(tz).date()
    return await render(
        request,
        "home.html",
        {
            "today": [r for r in rows if r["booking"].start_at.astimezone(tz).date() == today],
            "upcoming": [r for r in rows if r["booking"].start_at.astimezone(tz).date() > today],
            "alerts": [{"alert": a, "handoff": h} for a, h in alerts],
            "risk_labels": RISKS,
            "modes": CONTACT_MODES,
            "calendar_url": calendar_url(request, me),
        },
    )


def _handoff_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound(text="There is no such handoff.") from None


async def _authorised_handoff(request: web.Request, action: str) -> tuple[Handoff, list[HandoffNote]]:
    """Load a handoff for the logged-in worker, auditing the attempt; 403/404 when not theirs."""
    me: Worker = request[WORKER]
    handoff_id = _handoff_id(request)
    async with request.app[SESSIONMAKER].begin() as session:
        try:
            handoff = await get_handoff(session, handoff_id)
        except NotFound:
            handoff = None
        allowed = handoff is not None and can_read(me, handoff)
        # Committed whether or not access is allowed: denied attempts are the ones that matter.
        record_read(session, me.id, handoff_id, action, allowed)
        notes = await notes_for(session, handoff_id) if allowed else []
    if handoff is None:
        log.warning("worker %s asked for missing handoff %s", me.id, handoff_id)
        raise web.HTTPNotFound(text="There is no such handoff.")
    if not allowed:
        log.warning("worker %s denied handoff %s", me.id, handoff_id)
        raise web.HTTPForbidden(text="This summary belongs to another worker's resident, so you cannot open it.")
    return handoff, notes


@routes.get(r"/handoffs/{id:\d+}")
@login_required
async def handoff_page(request: web.Request) -> web.Response:
    handoff, notes = await _authorised_handoff(request, "view")
    return await render(
        request,
        "handoff.html",
        {
            "h": handoff,
            "booking": handoff.booking if handoff.booking and handoff.booking.status in ACTIVE_STATUSES else None,
            "location": appointment_location(handoff.booking) if handoff.booking else None,
            "notes": notes,
            "risk_labels": RISKS,
            "issue_labels": PRESENTING_ISSUES,
            "need_labels": NEEDS,
            "modes": CONTACT_MODES,
        },
    )


@routes.post(r"/handoffs/{id:\d+}/read")
@login_required
async def handoff_read(request: web.Request) -> web.StreamResponse:
    handoff, _ = await _authorised_handoff(request, "mark_read")
    async with request.app[SESSIONMAKER].begin() as session:
        fresh = await get_handoff(session, handoff.id)
        await mark_read(session, fresh, request[WORKER])
    log.info("handoff %s marked read by worker %s", handoff.id, request[WORKER].id)
    raise web.HTTPSeeOther(f"/handoffs/{handoff.id}")


@routes.post(r"/handoffs/{id:\d+}/notes")
@login_required
async def handoff_note(request: web.Request) -> web.StreamResponse:
    handoff, notes = await _authorised_handoff(request, "add_note")
    form = await request.post()
    kind = str(form.get("kind", "note"))
    text = str(form.get("text", "")).strip()
    error = None
    if kind not in ("note", "outcome"):
        error = "Choose whether this is a note or an outcome."
    elif not text:
        error = "Write something before saving."
    elif len(text) > MAX_NOTE:
        error = f"Keep it under {MAX_NOTE} characters."
    if error:
        return await render(
            request,
            "handoff.html",
            {
                "h": handoff,
                "booking": handoff.booking if handoff.booking and handoff.booking.status in ACTIVE_STATUSES else None,
                "location": appointment_location(handoff.booking) if handoff.booking else None,
                "notes": notes,
                "risk_labels": RISKS,
                "issue_labels": PRESENTING_ISSUES,
                "need_labels": NEEDS,
                "modes": CONTACT_MODES,
                "note_error": error,
                "note_text": text[:MAX_NOTE],
            },
            status=422,
        )
    async with request.app[SESSIONMAKER].begin() as session:
        session.add(HandoffNote(handoff_id=handoff.id, worker_id=request[WORKER].id, kind=kind, text=text))
    log.info("worker %s added a %s to handoff %s", request[WORKER].id, kind, handoff.id)
    raise web.HTTPSeeOther(f"/handoffs/{handoff.id}#notes")


@routes.get(r"/handoffs/{id:\d+}/erase")
@login_required
async def erase_confirm(request: web.Request) -> web.Response:
    """The confirm step: erasing cannot be undone, so it is never one click from the summary."""
    handoff, _ = await _authorised_handoff(request, "erase_confirm")
    return await render(request, "erase_confirm.html", {"h": handoff})


@routes.post(r"/handoffs/{id:\d+}/erase")
@login_required
async def erase(request: web.Request) -> web.Response:
    """Erase everything held for this summary's conversation, as POST /api/v1/erasures does."""
    handoff, _ = await _authorised_handoff(request, "erase")
    form = await request.post()
    if form.get("confirm") != "yes":
        raise web.HTTPSeeOther(f"/handoffs/{handoff.id}/erase")
    me: Worker = request[WORKER]
    receipt = await erase_conversation(request.app[SESSIONMAKER], handoff.conversation_id, worker_id=me.id)
    wake_jobs(request)
    log.info("worker %s erased the conversation of handoff %s", me.id, handoff.id)
    return await render(request, "erased.html", {"receipt": receipt})


@routes.get(r"/appointments/{id:\d+}")
@login_required
async def appointment(request: web.Request) -> web.StreamResponse:
    """Where email links land: the summary if there is one, else the bare appointment."""
    me: Worker = request[WORKER]
    try:
        booking_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound(text="There is no such appointment.") from None
    async with request.app[SESSIONMAKER]() as session:
        booking = await session.scalar(select(Booking).options(selectinload(Booking.worker)).where(Booking.id == booking_id))
        handoff_id = await session.scalar(
            select(Handoff.id).where(Handoff.booking_id == booking_id).order_by(Handoff.id.desc()).limit(1)
        )
    if booking is None:
        raise web.HTTPNotFound(text="There is no such appointment.")
    if booking.worker_id != me.id:
        raise web.HTTPForbidden(text="This appointment is with another worker.")
    if handoff_id is not None:
        raise web.HTTPFound(f"/handoffs/{handoff_id}")
    return await render(
        request, "appointment.html", {"booking": booking, "location": appointment_location(booking), "modes": CONTACT_MODES}
    )


@routes.get("/calendar/{secret}.ics")
async def calendar_feed(request: web.Request) -> web.Response:
    """Private feed addressed by an unguessable secret (calendar apps cannot log in)."""
    secret = request.match_info["secret"]
    async with request.app[SESSIONMAKER]() as session:
        worker = await session.scalar(select(Worker).where(Worker.calendar_secret == secret, Worker.active.is_(True)))
        if worker is None:
            raise web.HTTPNotFound(text="There is no such calendar.")
        since = utcnow() - dt.timedelta(days=30)
        bookings = (
            await session.scalars(
                select(Booking).where(Booking.worker_id == worker.id, Booking.start_at >= since).order_by(Booking.start_at)
            )
        ).all()
    return web.Response(body=worker_feed(bookings, utcnow()), content_type="text/calendar", charset="utf-8")


def calendar_url(request: web.Request, worker: Worker) -> str:
    return f"{request.app[SETTINGS].public_url}/calendar/{quote(worker.calendar_secret)}.ics"
