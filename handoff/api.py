"""API v1 views (JSON, bearer token): matching, bookings, handoffs, urgent alerts."""
from __future__ import annotations

import hmac
import json
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, TypeVar

import yaml
from aiohttp import web
from pydantic import BaseModel, ValidationError
from sqlalchemy import text

from .audit import record_read
from .bookings import booking_json, cancel_booking, create_booking, move_booking, upcoming_booking
from .erasure import erase_conversation
from .errors import Conflict, DomainError, Forbidden, Invalid, NotFound, SlotTaken
from .handoffs import create_handoff, handoff_json, handoffs_for_conversation, raise_urgent, update_handoff
from .keys import JOB_WAKEUP, SESSIONMAKER, SETTINGS
from .matching import match_workers
from .models import utcnow
from .residents import resident_json
from .schemas import BookingRequest, ErasureRequest, HandoffCreate, HandoffPatch, MatchRequest, MoveRequest, UrgentRequest

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
OPENAPI_PATH = Path(__file__).with_name("openapi.yaml")
PUBLIC_PATHS = {"/api/v1/health", "/api/v1/openapi.json", "/api/v1/openapi.yaml"}
STATUS_OF: dict[type[DomainError], int] = {NotFound: 404, SlotTaken: 409, Conflict: 409, Invalid: 422, Forbidden: 403}
Model = TypeVar("Model", bound=BaseModel)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.field = status, code, detail, field


def error_response(status: int, code: str, detail: str, field: str | None = None) -> web.Response:
    body: dict[str, Any] = {"error": code, "detail": detail}
    if field:
        body["field"] = field
    return web.json_response(body, status=status)


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure under /api/ answers JSON {"error", "detail"} with a fitting 4xx/5xx."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.detail, exc.field)
    except DomainError as exc:
        return error_response(STATUS_OF.get(type(exc), 400), exc.code, exc.detail, exc.field)
    except web.HTTPRequestEntityTooLarge:
        return error_response(413, "too_large", "The request body is too large.")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status, "http_error")
        return error_response(exc.status, code, exc.reason)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "Something went wrong on our side.")


@web.middleware
async def api_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bearer token on every API route except health and the OpenAPI document."""
    if request.path.startswith("/api/") and request.path not in PUBLIC_PATHS:
        expected = request.app[SETTINGS].api_token
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
            return error_response(401, "unauthorized", "A valid bearer token is required.")
    return await handler(request)


async def parse_body(request: web.Request, model: type[Model]) -> Model:
    """Read and validate a JSON object body: 400 malformed, 413 too large, 422 wrong shape."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "too_large", "The request body is too large.") from None
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "malformed_json", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(422, "invalid", "The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        if first["type"] in ("string_too_long", "too_long"):
            raise ApiError(413, "too_large", f"{field} is too long: {first['msg']}.", field) from None
        raise ApiError(422, "invalid", f"{field}: {first['msg']}.", field) from None


def wake_jobs(request: web.Request) -> None:
    """Start this instance's job runner now rather than at its next poll (if it runs one)."""
    wakeup = request.app.get(JOB_WAKEUP)
    if wakeup is not None:
        wakeup.set()


def _int_id(request: web.Request, name: str = "id") -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise ApiError(404, "not_found", f"There is no item with id {request.match_info[name]!r}.") from None


def _query(request: web.Request, name: str) -> str:
    value = request.query.get(name, "").strip()
    if not value:
        raise ApiError(422, "invalid", f"The query parameter {name} is required.", name)
    if len(value) > 200:
        raise ApiError(413, "too_large", f"The query parameter {name} is too long.", name)
    return value


@routes.get("/api/v1/health")
async def health(request: web.Request) -> web.Response:
    async with request.app[SESSIONMAKER]() as session:
        await session.execute(text("SELECT 1"))
    return web.json_response({"status": "ok"})


@routes.get("/api/v1/openapi.yaml")
async def openapi_yaml(request: web.Request) -> web.Response:
    return web.Response(text=OPENAPI_PATH.read_text(), content_type="application/yaml")


@routes.get("/api/v1/openapi.json")
async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(yaml.safe_load(OPENAPI_PATH.read_text()))


@routes.post("/api/v1/match")
async def match(request: web.Request) -> web.Response:
    body = await parse_body(request, MatchRequest)
    async with request.app[SESSIONMAKER]() as session:
        workers = await match_workers(session, body, request.app[SETTINGS].tz, utcnow())
    return web.json_response({"workers": workers})


@routes.post("/api/v1/bookings")
async def book(request: web.Request) -> web.Response:
    body = await parse_body(request, BookingRequest)
    settings = request.app[SETTINGS]
    booked = await create_booking(request.app[SESSIONMAKER], body, settings.tz)
    booking = booked.booking
    if booked.created:
        log.info("booking %s made with worker %s", booking.id, booking.worker_id)
        wake_jobs(request)
    return web.json_response(booking_json(booking), status=201 if booked.created else 200)


@routes.post("/api/v1/bookings/{id}/cancel")
async def cancel(request: web.Request) -> web.Response:
    booking, changed = await cancel_booking(request.app[SESSIONMAKER], _int_id(request))
    if changed:
        log.info("booking %s cancelled", booking.id)
        wake_jobs(request)
    return web.json_response(booking_json(booking))


@routes.post("/api/v1/bookings/{id}/move")
async def move(request: web.Request) -> web.Response:
    booking_id = _int_id(request)
    body = await parse_body(request, MoveRequest)
    settings = request.app[SETTINGS]
    booking, changed = await move_booking(request.app[SESSIONMAKER], booking_id, body.start, settings.tz)
    if changed:
        log.info("booking %s moved", booking.id)
        wake_jobs(request)
    return web.json_response(booking_json(booking))


@routes.get("/api/v1/residents/upcoming")
async def upcoming(request: web.Request) -> web.Response:
    channel, identity = _query(request, "channel"), _query(request, "identity")
    async with request.app[SESSIONMAKER]() as session:
        booking, resident = await upcoming_booking(session, channel, identity)
    return web.json_response(
        {
            "booking": booking_json(booking) if booking else None,
            "resident": resident_json(resident) if resident else None,
        }
    )


@routes.post("/api/v1/handoffs")
async def create(request: web.Request) -> web.Response:
    body = await parse_body(request, HandoffCreate)
    stored = await create_handoff(request.app[SESSIONMAKER], body)
    if stored.created:
        log.info("handoff %s stored (consent=%s)", stored.handoff.id, stored.handoff.share_with_worker)
    return web.json_response(handoff_json(stored.handoff), status=201 if stored.created else 200)


@routes.get("/api/v1/handoffs")
async def list_handoffs(request: web.Request) -> web.Response:
    conversation_id = _query(request, "conversation_id")
    async with request.app[SESSIONMAKER].begin() as session:
        handoffs = await handoffs_for_conversation(session, conversation_id)
        for handoff in handoffs:
            record_read(session, None, handoff.id, "api_read", allowed=True)
    return web.json_response([handoff_json(h) for h in handoffs])


@routes.patch("/api/v1/handoffs/{id}")
async def patch(request: web.Request) -> web.Response:
    handoff_id = _int_id(request)
    body = await parse_body(request, HandoffPatch)
    handoff = await update_handoff(request.app[SESSIONMAKER], handoff_id, body)
    log.info("handoff %s updated", handoff.id)
    return web.json_response(handoff_json(handoff))


@routes.post("/api/v1/urgent")
async def urgent(request: web.Request) -> web.Response:
    body = await parse_body(request, UrgentRequest)
    settings = request.app[SETTINGS]
    raised = await raise_urgent(request.app[SESSIONMAKER], body, settings.duty_worker_email)
    duty = raised.duty_worker
    log.warning("urgent handoff %s raised to duty worker %s", raised.handoff.id, duty.id if duty else None)
    if raised.notify:
        wake_jobs(request)  # the email to the duty worker was enqueued with the alert
    return web.json_response(
        {
            "handoff_id": raised.handoff.id,
            "duty_worker": {"id": duty.id, "name": duty.name} if duty else None,
        },
        status=201,
    )


@routes.post("/api/v1/erasures")
async def erase(request: web.Request) -> web.Response:
    """The resident asked us to delete their data: erase it here now, and ask Rasa to (a job)."""
    body = await parse_body(request, ErasureRequest)
    receipt = await erase_conversation(request.app[SESSIONMAKER], body.conversation_id)
    wake_jobs(request)
    return web.json_response(receipt.json(), status=202)
