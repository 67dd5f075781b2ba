"""Durable background jobs: exactly-once claiming across instances, leases, retries, dedupe."""
from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import func, select

from handoff.db import create_engine, create_sessionmaker
from handoff.jobs import Fail, JobRunner, Retry, backoff, cancel_pending, enqueue
from handoff.models import Job, utcnow


async def add_jobs(db: Any, count: int, kind: str = "test", payload: dict[str, Any] | None = None,
                   **kwargs: Any) -> list[int]:
    """Enqueue `count` jobs, whole, in one transaction (a running app may claim one at once)."""
    async with db.begin() as session:
        for n in range(count):
            await enqueue(session, kind, payload or {"n": n}, **kwargs)
    async with db() as session:
        return list((await session.scalars(select(Job.id).where(Job.kind == kind).order_by(Job.id))).all())


async def job(db: Any, job_id: int) -> Job:
    async with db() as session:
        found = await session.get(Job, job_id)
        assert found is not None
        return found


async def count_pending(db: Any) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(Job).where(Job.status.in_(["pending", "running"])))


def recording(ran: list[int], delay: float = 0.0) -> dict[str, Any]:
    async def record(ctx: Any, job: Job) -> None:
        await asyncio.sleep(delay)  # let the other runner claim in between
        ran.append(job.id)

    return {"test": record}


async def test_a_due_job_runs_once_and_is_done(db: Any, settings: Any) -> None:
    [job_id] = await add_jobs(db, 1)
    ran: list[int] = []
    async with JobRunner(db, settings, handlers=recording(ran)) as runner:
        assert await runner.run_until_idle() == 1
        assert await runner.run_until_idle() == 0
    assert ran == [job_id]
    done = await job(db, job_id)
    assert (done.status, done.attempts, done.locked_by, done.locked_until) == ("done", 1, None, None)


async def test_a_job_is_not_run_before_its_time(db: Any, settings: Any) -> None:
    later = utcnow() + dt.timedelta(hours=1)
    [job_id] = await add_jobs(db, 1, run_at=later)
    ran: list[int] = []
    async with JobRunner(db, settings, handlers=recording(ran)) as runner:
        assert await runner.run_once() == 0
        assert await runner.run_once(now=later) == 1
    assert ran == [job_id]


async def test_two_instances_racing_over_50_jobs_run_each_exactly_once(db: Any, settings: Any) -> None:
    """Two runners on two engines, as two service instances would be (SKIP LOCKED on PostgreSQL)."""
    ids = await add_jobs(db, 50)
    ran_a: list[int] = []
    ran_b: list[int] = []
    engine_a, engine_b = create_engine(settings.database_url), create_engine(settings.database_url)
    try:
        async with (
            JobRunner(create_sessionmaker(engine_a), settings, name="a", handlers=recording(ran_a, 0.002)) as a,
            JobRunner(create_sessionmaker(engine_b), settings, name="b", handlers=recording(ran_b, 0.002)) as b,
        ):
            async def drain(runner: JobRunner) -> None:
                # An empty claim may only mean the other runner took these: stop when none are left.
                while await runner.run_once(limit=3) or await count_pending(db):
                    await asyncio.sleep(0)

            await asyncio.gather(drain(a), drain(b))
    finally:
        await engine_a.dispose()
        await engine_b.dispose()
    assert sorted(ran_a + ran_b) == ids  # every job, none twice
    assert ran_a and ran_b  # and both instances did some of the work
    async with db() as session:
        statuses = (await session.execute(select(Job.status, func.count()).group_by(Job.status))).all()
        attempts = set((await session.scalars(select(Job.attempts))).all())
    assert dict(statuses) == {"done": 50} and attempts == {1}


async def test_a_job_whose_instance_died_runs_again_after_its_lease(db: Any, settings: Any) -> None:
    [job_id] = await add_jobs(db, 1)
    ran: list[int] = []
    now = utcnow()
    async with (
        JobRunner(db, settings, name="dies", handlers=recording(ran)) as dying,
        JobRunner(db, settings, name="survivor", handlers=recording(ran)) as survivor,
    ):
        [claimed] = await dying.claim(now, limit=10)  # ...and the instance stops here
        assert claimed.id == job_id and claimed.locked_by == "dies"
        assert await survivor.run_once(now=now + dt.timedelta(seconds=settings.jobs_lease_seconds - 1)) == 0
        assert await survivor.run_once(now=now + dt.timedelta(seconds=settings.jobs_lease_seconds + 1)) == 1
        # The dead instance's late outcome (if it ever came back) does not overwrite the survivor's.
        await dying._finish(claimed, now, status="failed", last_error="late")
    assert ran == [job_id]
    finished = await job(db, job_id)
    assert (finished.status, finished.attempts, finished.last_error) == ("done", 2, None)


async def test_failures_retry_with_exponential_backoff_then_fail(db: Any, settings: Any) -> None:
    settings = dataclasses.replace(settings, jobs_max_attempts=3, jobs_backoff_seconds=30)
    [job_id] = await add_jobs(db, 1)

    async def unavailable(ctx: Any, job: Job) -> None:
        raise Retry("HTTP 503")

    t0 = utcnow()
    async with JobRunner(db, settings, handlers={"test": unavailable}) as runner:
        assert await runner.run_once(now=t0) == 1
        first = await job(db, job_id)
        assert (first.status, first.attempts, first.last_error) == ("pending", 1, "HTTP 503")
        assert first.run_at == t0 + dt.timedelta(seconds=30)
        assert await runner.run_once(now=t0 + dt.timedelta(seconds=29)) == 0
        t1 = t0 + dt.timedelta(seconds=30)
        assert await runner.run_once(now=t1) == 1
        assert (await job(db, job_id)).run_at == t1 + dt.timedelta(seconds=60)  # doubled
        assert await runner.run_once(now=t1 + dt.timedelta(seconds=60)) == 1
        assert await runner.run_once(now=t1 + dt.timedelta(days=1)) == 0
    failed = await job(db, job_id)
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 3, "HTTP 503")


def test_backoff_doubles_and_is_capped(settings: Any) -> None:
    settings = dataclasses.replace(settings, jobs_backoff_seconds=30)
    assert [backoff(settings, n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(settings, 30).total_seconds() == 3600


async def test_fail_gives_up_at_once_and_unexpected_errors_keep_no_message(db: Any, settings: Any) -> None:
    [gives_up] = await add_jobs(db, 1, kind="gives_up")
    [crashes] = await add_jobs(db, 1, kind="crashes")
    [unknown] = await add_jobs(db, 1, kind="no_such_kind")

    async def give_up(ctx: Any, job: Job) -> None:
        raise Fail("HTTP 404")

    async def crash(ctx: Any, job: Job) -> None:
        raise ValueError("Jo Bloggs, 07700 900123")  # a message that might quote personal data

    async with JobRunner(db, settings, handlers={"gives_up": give_up, "crashes": crash}) as runner:
        assert await runner.run_once() == 3
    assert ((await job(db, gives_up)).status, (await job(db, gives_up)).last_error) == ("failed", "HTTP 404")
    crashed = await job(db, crashes)
    assert (crashed.status, crashed.last_error) == ("pending", "unexpected ValueError")
    assert (await job(db, unknown)).status == "failed"


async def test_a_dedupe_key_enqueues_once_and_a_cancelled_job_comes_back(db: Any, settings: Any) -> None:
    await add_jobs(db, 2, dedupe_key="same:1")
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(Job)) == 1
    async with db.begin() as session:
        assert await cancel_pending(session, "same:") == 1
    async with db() as session:
        assert await session.scalar(select(Job.status)) == "cancelled"
    await add_jobs(db, 1, dedupe_key="same:1")
    async with db() as session:
        assert (await session.execute(select(Job.status, func.count()).group_by(Job.status))).all() == [("pending", 1)]


async def test_serve_runs_jobs_in_the_background(aiohttp_client: Any, settings: Any, db: Any) -> None:
    """create_app(run_jobs=True), as `serve` does: a booking's email goes out without being asked."""
    from handoff.app import create_app

    settings = dataclasses.replace(settings, jobs_poll_seconds=0.05)
    await aiohttp_client(create_app(settings, run_jobs=True))
    # the payload goes in with the job: the running app claims a job the moment it is committed
    # (CI once caught it between an insert and a later payload update)
    [job_id] = await add_jobs(db, 1, kind="notify_urgent", payload={"handoff_id": 1, "worker_id": 1})
    for _ in range(100):
        if (await job(db, job_id)).status == "done":
            break
        await asyncio.sleep(0.05)
    assert (await job(db, job_id)).status == "done"
    assert len(list((settings.data_dir / "outbox").glob("*.eml"))) == 1


async def test_a_stopped_runner_returns_at_its_next_poll(settings: Any, db: Any) -> None:
    """Shutdown stops the runner between jobs rather than cancelling one mid-query."""
    runner = JobRunner(db, dataclasses.replace(settings, jobs_poll_seconds=30), name="stopping")
    task = asyncio.create_task(runner.run_forever())
    await asyncio.sleep(0.2)
    runner.stop()
    await asyncio.wait({task}, timeout=5)
    assert task.done() and not task.cancelled() and task.exception() is None
    await runner.close()
