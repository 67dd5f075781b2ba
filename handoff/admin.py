"""Admin pages: list, create and deactivate workers; edit weekly hours and exceptions."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from aiohttp import web
from sqlalchemy import delete, select

from .errors import Conflict, Invalid
from .keys import SESSIONMAKER, SETTINGS
from .models import AvailabilityException, WeeklyAvailability, Worker, utcnow
from .need import CONTACT_MODES, NEEDS
from .sessions import WORKER, admin_required
from .web import calendar_url, render
from .workers import add_exception, add_weekly_hours, create_worker, exceptions_of, get_worker, weekly_hours

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


async def _workers_page(request: web.Request, error: str | None = None, form: Any = None, status: int = 200) -> web.Response:
    async with request.app[SESSIONMAKER]() as session:
        workers = (await session.scalars(select(Worker).order_by(Worker.active.desc(), Worker.name))).all()
    return await render(
        request,
        "admin_workers.html",
        {"workers": workers, "error": error, "form": form or {}, "need_labels": NEEDS, "modes": CONTACT_MODES},
        status=status,
    )


@routes.get("/admin/workers")
@admin_required
async def workers_list(request: web.Request) -> web.Response:
    return await _workers_page(request)


def _clean_list(values: list[str], allowed: Any) -> list[str]:
    return [v for v in values if v in allowed]


@routes.post("/admin/workers")
@admin_required
async def worker_create(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    fields = {name: str(form.get(name, "")).strip() for name in ("name", "email", "password", "intro", "role", "location", "phone")}
    languages = [code.strip().lower() for code in str(form.get("languages", "")).split(",") if code.strip()]
    error = None
    if not fields["name"] or not fields["email"] or "@" not in fields["email"]:
        error = "A worker needs a name and an email address."
    elif len(fields["password"]) < 12:
        error = "The password must be at least 12 characters."
    elif any(len(v) > 400 for v in fields.values()):
        error = "One of the fields is too long."
    elif any(len(code) != 2 or not code.isalpha() for code in languages):
        error = "Languages must be two-letter codes separated by commas, e.g. en, bn."
    if error is None:
        try:
            async with request.app[SESSIONMAKER].begin() as session:
                worker = await create_worker(
                    session,
                    **fields,
                    needs=_clean_list([str(v) for v in form.getall("needs", [])], NEEDS),
                    languages=languages,
                    contact_modes=_clean_list([str(v) for v in form.getall("modes", [])], CONTACT_MODES) or ["phone"],
                    is_admin=form.get("is_admin") == "on",
                )
            log.info("admin %s created worker %s", request[WORKER].id, worker.id)
            raise web.HTTPSeeOther("/admin/workers")
        except Conflict as exc:
            error = exc.detail
    safe_form = {k: v for k, v in fields.items() if k != "password"}
    return await _workers_page(request, error=error, form=safe_form, status=422)


@routes.post(r"/admin/workers/{id:\d+}/active")
@admin_required
async def worker_toggle_active(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    async with request.app[SESSIONMAKER].begin() as session:
        worker = await get_worker(session, int(request.match_info["id"]))
        worker.active = form.get("active") == "1"
        if not worker.active:
            worker.on_duty = False
    raise web.HTTPSeeOther("/admin/workers")


@routes.post(r"/admin/workers/{id:\d+}/duty")
@admin_required
async def worker_toggle_duty(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    async with request.app[SESSIONMAKER].begin() as session:
        worker = await get_worker(session, int(request.match_info["id"]))
        worker.on_duty = form.get("on_duty") == "1" and worker.active
    raise web.HTTPSeeOther("/admin/workers")


async def _availability_page(
    request: web.Request, worker_id: int, error: str | None = None, status: int = 200
) -> web.Response:
    async with request.app[SESSIONMAKER]() as session:
        worker = await get_worker(session, worker_id)
        weekly = await weekly_hours(session, worker_id)
        exceptions = await exceptions_of(session, worker_id)
    return await render(
        request,
        "admin_availability.html",
        {
            "worker": worker,
            "weekly": weekly,
            "exceptions": exceptions,
            "weekdays": WEEKDAYS,
            "error": error,
            "calendar_url": calendar_url(request, worker),
        },
        status=status,
    )


def _worker_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound(text="There is no such worker.") from None


@routes.get(r"/admin/workers/{id:\d+}/availability")
@admin_required
async def availability(request: web.Request) -> web.Response:
    return await _availability_page(request, _worker_id(request))


def _time(value: Any, field: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        raise Invalid("Enter times like 09:00.", field=field) from None


@routes.post(r"/admin/workers/{id:\d+}/availability")
@admin_required
async def availability_add(request: web.Request) -> web.StreamResponse:
    worker_id = _worker_id(request)
    form = await request.post()
    try:
        async with request.app[SESSIONMAKER].begin() as session:
            await get_worker(session, worker_id)
            try:
                weekday, minutes = int(str(form.get("weekday"))), int(str(form.get("slot_minutes", 60)))
            except ValueError:
                raise Invalid("Choose a day and an appointment length.", field="weekday") from None
            await add_weekly_hours(
                session, worker_id, weekday, _time(form.get("start"), "start"), _time(form.get("end"), "end"), minutes
            )
    except Invalid as exc:
        return await _availability_page(request, worker_id, error=exc.detail, status=422)
    raise web.HTTPSeeOther(f"/admin/workers/{worker_id}/availability")


@routes.post(r"/admin/workers/{id:\d+}/availability/{window:\d+}/delete")
@admin_required
async def availability_delete(request: web.Request) -> web.StreamResponse:
    worker_id = _worker_id(request)
    async with request.app[SESSIONMAKER].begin() as session:
        await session.execute(
            delete(WeeklyAvailability).where(
                WeeklyAvailability.id == int(request.match_info["window"]), WeeklyAvailability.worker_id == worker_id
            )
        )
    raise web.HTTPSeeOther(f"/admin/workers/{worker_id}/availability")


@routes.post(r"/admin/workers/{id:\d+}/exceptions")
@admin_required
async def exception_add(request: web.Request) -> web.StreamResponse:
    worker_id = _worker_id(request)
    form = await request.post()
    kind = str(form.get("kind", ""))
    try:
        async with request.app[SESSIONMAKER].begin() as session:
            await get_worker(session, worker_id)
            try:
                day = dt.date.fromisoformat(str(form.get("day")))
            except ValueError:
                raise Invalid("Enter a date like 2026-12-24.", field="day") from None
            start = _time(form.get("start"), "start") if kind == "extra" else None
            end = _time(form.get("end"), "end") if kind == "extra" else None
            today = utcnow().astimezone(request.app[SETTINGS].tz).date()
            await add_exception(session, worker_id, day, kind, start, end, today)
    except Invalid as exc:
        return await _availability_page(request, worker_id, error=exc.detail, status=422)
    raise web.HTTPSeeOther(f"/admin/workers/{worker_id}/availability")


@routes.post(r"/admin/workers/{id:\d+}/exceptions/{exception:\d+}/delete")
@admin_required
async def exception_delete(request: web.Request) -> web.StreamResponse:
    worker_id = _worker_id(request)
    async with request.app[SESSIONMAKER].begin() as session:
        await session.execute(
            delete(AvailabilityException).where(
                AvailabilityException.id == int(request.match_info["exception"]),
                AvailabilityException.worker_id == worker_id,
            )
        )
    raise web.HTTPSeeOther(f"/admin/workers/{worker_id}/availability")
