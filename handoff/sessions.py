"""Worker login sessions (encrypted cookie via aiohttp-session) and per-session CSRF tokens."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Awaitable, Callable

from aiohttp import web
from aiohttp_session import Session, get_session, new_session, session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from .keys import SESSIONMAKER
from .models import Worker
from .settings import Settings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
WORKER = web.RequestKey("worker", Worker)
SESSION_MAX_AGE = 8 * 3600  # one working day


def sessions_middleware(settings: Settings) -> web.Middleware:
    # Fernet needs exactly 32 bytes (aiohttp-session base64s them); derive them so any secret works.
    key = hashlib.sha256(settings.session_secret.encode()).digest()
    storage = EncryptedCookieStorage(
        key,
        cookie_name="handoff_session",
        httponly=True,
        samesite="Lax",
        secure=settings.public_url.startswith("https://"),
        max_age=SESSION_MAX_AGE,
    )
    return session_middleware(storage)


async def csrf_token(request: web.Request) -> str:
    """This session's CSRF token (created on first use), for hidden form fields."""
    session = await get_session(request)
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return str(token)


@web.middleware
async def csrf_protect(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse any worker-app POST whose csrf_token does not match the session's."""
    if request.method == "POST" and not request.path.startswith("/api/"):
        session = await get_session(request)
        expected = session.get("csrf") or ""
        form = await request.post()
        given = form.get("csrf_token")
        if not expected or not isinstance(given, str) or not hmac.compare_digest(given, expected):
            raise web.HTTPForbidden(text="This form has expired or did not come from this site. Go back, reload and try again.")
    return await handler(request)


async def log_in(request: web.Request, worker: Worker) -> None:
    # A fresh session on login so a pre-login cookie cannot be fixed on the victim.
    session = await new_session(request)
    session["worker_id"] = worker.id
    session["csrf"] = secrets.token_urlsafe(32)


async def log_out(request: web.Request) -> None:
    session = await get_session(request)
    session.invalidate()


async def _session_worker(request: web.Request, session: Session) -> Worker | None:
    worker_id = session.get("worker_id")
    if not isinstance(worker_id, int):
        return None
    async with request.app[SESSIONMAKER]() as db:
        worker = await db.get(Worker, worker_id)
    return worker if worker is not None and worker.active else None


def login_required(handler: Handler) -> Handler:
    """Views for logged-in workers; the worker is at request[WORKER]."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        session = await get_session(request)
        worker = await _session_worker(request, session)
        if worker is None:
            raise web.HTTPFound(f"/login?next={request.rel_url.path}")
        request[WORKER] = worker
        return await handler(request)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


def admin_required(handler: Handler) -> Handler:
    async def only_admins(request: web.Request) -> web.StreamResponse:
        if not request[WORKER].is_admin:
            raise web.HTTPForbidden(text="Only administrators can open this page.")
        return await handler(request)

    only_admins.__name__ = handler.__name__
    return login_required(only_admins)
