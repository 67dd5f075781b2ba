"""Durable background jobs: a table of work, handlers registered per kind, and a runner loop.

Jobs are enqueued inside the transaction that makes the change they follow from, so a job
exists exactly when its change was committed, and survives a crash or restart (it is a row,
not a task in memory). Every instance runs a JobRunner (`serve` starts one):

- claiming: PostgreSQL `SELECT … FOR UPDATE SKIP LOCKED`, so instances never wait on or
  take each other's jobs; SQLite (one writer at a time) an atomic conditional UPDATE per job;
- a claimed job is leased (locked_until); if its instance dies, the lease runs out and any
  runner claims it again — so a handler may, rarely, run twice and must tolerate that;
- failures are retried with exponential back-off, up to JOBS_MAX_ATTEMPTS, then `failed`.

Payloads and last_error hold ids and short reasons only, never personal data.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import aiohttp
from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .models import Job, utcnow
from .settings import Settings

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600
HTTP_TIMEOUT_SECONDS = 10
ERROR_LENGTH = 200


class Retry(Exception):
    """Try again later (with back-off). The message becomes last_error: no personal data."""


class Fail(Exception):
    """Give up now: retrying cannot help. The message becomes last_error: no personal data."""


@dataclass
class JobContext:
    """What a handler may use: settings, the database, and one HTTP client session."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    http: aiohttp.ClientSession


# A handler returns None, or a new payload to store with the finished job (e.g. blanked ids).
Handler = Callable[[JobContext, Job], Awaitable[dict[str, Any] | None]]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the handler of one job kind."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def registered_handlers() -> dict[str, Handler]:
    # Imported for their @handler registrations (they import this module, so not at the top).
    from . import erasure, notify, reminders  # noqa: F401

    return dict(HANDLERS)


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: dt.datetime | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Add a job in the caller's transaction.

    With a dedupe_key the job is added at most once: a second enqueue is a no-op, except that
    a cancelled job with the same key comes back to life (e.g. a booking moved back again).
    """
    now = utcnow()
    values: dict[str, Any] = dict(
        kind=kind, payload=payload, run_at=run_at or now, status="pending", attempts=0,
        dedupe_key=dedupe_key, created_at=now, updated_at=now,
    )
    if dedupe_key is None:
        session.add(Job(**values))
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # ON CONFLICT DO NOTHING: two requests enqueueing the same key at once cannot both win.
    await session.execute(insert(Job).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"]))
    await session.execute(
        update(Job)
        .where(Job.dedupe_key == dedupe_key, Job.status == "cancelled")
        .values(status="pending", payload=payload, run_at=values["run_at"], attempts=0, last_error=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def cancel_pending(session: AsyncSession, dedupe_prefix: str) -> int:
    """Cancel the pending jobs whose dedupe_key starts with a prefix; returns how many."""
    result = await session.execute(
        update(Job)
        .where(Job.status == "pending", Job.dedupe_key.startswith(dedupe_prefix, autoescape=True))
        .values(status="cancelled", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def backoff(settings: Settings, attempts: int) -> dt.timedelta:
    """Delay before the next attempt after `attempts` failed ones: base, 2×base, 4×base… ≤ 1 h."""
    seconds = settings.jobs_backoff_seconds * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


def _due(now: dt.datetime) -> Any:
    return or_(
        and_(Job.status == "pending", Job.run_at <= now),
        # Claimed by an instance that stopped before finishing: its lease has run out.
        and_(Job.status == "running", Job.locked_until < now),
    )


class JobRunner:
    """Claims due jobs and runs them; one per instance, several may share a database."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        name: str | None = None,
        handlers: dict[str, Handler] | None = None,
        wakeup: asyncio.Event | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.handlers = registered_handlers() if handlers is None else handlers
        self.wakeup = wakeup or asyncio.Event()
        self._stopping = False
        self._http: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def __aenter__(self) -> "JobRunner":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _context(self) -> JobContext:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT_SECONDS))
        return JobContext(self.settings, self.sessionmaker, self._http)

    async def claim(self, now: dt.datetime, limit: int) -> list[Job]:
        """Take up to `limit` due jobs for this runner, leased until now + JOBS_LEASE_SECONDS."""
        lease = now + dt.timedelta(seconds=self.settings.jobs_lease_seconds)
        claimed = dict(status="running", locked_by=self.name, locked_until=lease, updated_at=now)
        async with self.sessionmaker.begin() as session:
            if session.get_bind().dialect.name == "postgresql":
                jobs = list(
                    (
                        await session.scalars(
                            select(Job)
                            .where(_due(now))
                            .order_by(Job.run_at, Job.id)
                            .limit(limit)
                            .with_for_update(skip_locked=True)
                        )
                    ).all()
                )
                for job in jobs:
                    for name, value in claimed.items():
                        setattr(job, name, value)
                    job.attempts += 1
                return jobs
            candidates = list(
                (await session.scalars(select(Job.id).where(_due(now)).order_by(Job.run_at, Job.id).limit(limit))).all()
            )
        jobs = []
        for job_id in candidates:
            # SQLite: the UPDATE only matches while the job is still due, so of two runners
            # that both saw it, exactly one changes a row.
            async with self.sessionmaker.begin() as session:
                result = await session.execute(
                    update(Job)
                    .where(Job.id == job_id, _due(now))
                    .values(attempts=Job.attempts + 1, **claimed)
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    job = await session.get(Job, job_id)
                    assert job is not None
                    jobs.append(job)
        return jobs

    async def run_once(self, now: dt.datetime | None = None, limit: int = 20) -> int:
        """Claim and run the jobs due at `now` (default: the real now); returns how many ran."""
        now = now or utcnow()
        jobs = await self.claim(now, limit)
        for job in jobs:
            await self._run(job, now)
        return len(jobs)

    async def run_until_idle(self, now: dt.datetime | None = None) -> int:
        total = 0
        while ran := await self.run_once(now):
            total += ran
        return total

    def stop(self) -> None:
        """Finish the job in hand and stop (run_forever returns at its next poll)."""
        self._stopping = True
        self.wakeup.set()

    async def run_forever(self) -> None:
        """Poll every JOBS_POLL_SECONDS (or when woken) until stopped or cancelled."""
        log.info("job runner %s started", self.name)
        while not self._stopping:
            try:
                await self.run_until_idle()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - e.g. the database is briefly away: try again next poll
                log.exception("job runner poll failed")
            if self._stopping:
                break
            try:
                async with asyncio.timeout(self.settings.jobs_poll_seconds):
                    await self.wakeup.wait()
            except TimeoutError:
                pass
            self.wakeup.clear()

    async def _run(self, job: Job, now: dt.datetime) -> None:
        fn = self.handlers.get(job.kind)
        if fn is None:
            await self._finish(job, now, status="failed", last_error=f"no handler for job kind {job.kind!r}"[:ERROR_LENGTH])
            log.error("job %s has unknown kind %r", job.id, job.kind)
            return
        try:
            new_payload = await fn(self._context(), job)
        except Fail as exc:
            await self._finish(job, now, status="failed", last_error=str(exc)[:ERROR_LENGTH])
            log.warning("job %s (%s) failed: %s", job.id, job.kind, exc)
            return
        except Exception as exc:  # noqa: BLE001 - any other failure is retried
            if isinstance(exc, Retry):
                error = str(exc)
                log.warning("job %s (%s) attempt %s: %s", job.id, job.kind, job.attempts, error)
            else:
                # An unexpected exception's message may quote data; store only its type.
                error = f"unexpected {type(exc).__name__}"
                log.exception("job %s (%s) attempt %s raised", job.id, job.kind, job.attempts)
            if job.attempts >= self.settings.jobs_max_attempts:
                await self._finish(job, now, status="failed", last_error=error[:ERROR_LENGTH])
                log.warning("job %s (%s) failed after %s attempts", job.id, job.kind, job.attempts)
            else:
                await self._finish(
                    job, now, status="pending", last_error=error[:ERROR_LENGTH],
                    run_at=now + backoff(self.settings, job.attempts),
                )
            return
        values: dict[str, Any] = {"status": "done", "last_error": None}
        if new_payload is not None:
            values["payload"] = new_payload
        await self._finish(job, now, **values)
        log.info("job %s (%s) done", job.id, job.kind)

    async def _finish(self, job: Job, now: dt.datetime, **values: Any) -> None:
        # Only while this runner still holds the job: if our lease ran out and another runner
        # took it over, its outcome is the one that counts.
        async with self.sessionmaker.begin() as session:
            await session.execute(
                update(Job)
                .where(Job.id == job.id, Job.status == "running", Job.locked_by == self.name)
                .values(locked_by=None, locked_until=None, updated_at=now, **values)
                .execution_options(synchronize_session=False)
            )
