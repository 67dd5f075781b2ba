"""Application factory."""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from pathlib import Path
from typing import AsyncIterator

import aiohttp_jinja2
import jinja2
from aiohttp import web

from .api import api_errors, api_token
from .db import create_engine, create_sessionmaker
from .jobs import JobRunner
from .keys import ENGINE, JOB_WAKEUP, SESSIONMAKER, SETTINGS
from .routes import setup_routes
from .sessions import csrf_protect, sessions_middleware
from .settings import Settings
from .web import html_errors

TEMPLATES_DIR = Path(__file__).with_name("templates")
# Bodies are small JSON or forms; anything bigger is a mistake or an attack.
CLIENT_MAX_SIZE = 256 * 1024


def _database_ctx(settings: Settings):  # type: ignore[no-untyped-def]
    async def database(app: web.Application) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        app[ENGINE] = engine
        app[SESSIONMAKER] = create_sessionmaker(engine)
        yield
        await engine.dispose()

    return database


async def _job_runner(app: web.Application) -> AsyncIterator[None]:
    """This instance's background job runner, for as long as the app runs."""
    wakeup = asyncio.Event()
    app[JOB_WAKEUP] = wakeup
    runner = JobRunner(app[SESSIONMAKER], app[SETTINGS], wakeup=wakeup)
    task = asyncio.create_task(runner.run_forever(), name="job-runner")
    yield
    # Stop between jobs rather than cancel one mid-query: a cancelled asyncpg query can leave
    # shutdown waiting for ever (a test's teardown hung on PostgreSQL, about 1 run in 3)
    runner.stop()
    done, _ = await asyncio.wait({task}, timeout=10)
    if not done:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await runner.close()


def _local_time(value: dt.datetime, tz: dt.tzinfo, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    return value.astimezone(tz).strftime(fmt)


def create_app(settings: Settings, run_jobs: bool = False) -> web.Application:
    """The handoff service: API v1 under /api/v1 and the worker web app.

    With run_jobs (as `serve` does) it also runs background jobs; tests run them explicitly.
    """
    app = web.Application(
        client_max_size=CLIENT_MAX_SIZE,
        middlewares=[sessions_middleware(settings), api_errors, api_token, html_errors, csrf_protect],
    )
    app[SETTINGS] = settings
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["local"] = _local_time
    app.cleanup_ctx.append(_database_ctx(settings))
    if run_jobs:
        app.cleanup_ctx.append(_job_runner)
    setup_routes(app)
    return app
