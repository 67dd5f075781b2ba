"""Fixtures: one migrated database per backend (SQLite always, PostgreSQL when DATABASE_URL says so)."""
from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterator

from aiohttp import web

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from handoff.app import create_app
from handoff.db import create_engine, create_sessionmaker, migrate
from handoff.jobs import JobRunner
from handoff.models import Worker
from handoff.seed import seed_demo
from handoff.settings import Settings

from handoff_helpers import DEMO_PASSWORD, TOKEN, FakeRasa

ENV_URL = os.environ.get("DATABASE_URL", "")
PG_URL = ENV_URL if ENV_URL.startswith("postgres") else None
PG_SKIP = "PostgreSQL tests need DATABASE_URL=postgresql://user:pass@host:port/db (not set)"


def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Run blocking code (Alembic runs its own event loop) outside the test's loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def _pg_admin_kwargs(url: str) -> dict[str, Any]:
    parsed = make_url(url)
    return dict(
        user=parsed.username, password=parsed.password, host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432, database="postgres",
    )


async def _pg_admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(**_pg_admin_kwargs(url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def create_pg_database(base_url: str, template: str | None = None) -> str:
    """A fresh, uniquely named database on the server of base_url; returns its URL."""
    name = f"handoff_test_{uuid.uuid4().hex[:12]}"
    sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{make_url(template).database}"' if template else "")
    in_thread(asyncio.run, _pg_admin(base_url, sql))
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(base_url: str, url: str) -> None:
    name = make_url(url).database
    assert name and name.startswith("handoff_test_")  # never drop anything we did not create
    in_thread(asyncio.run, _pg_admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _seed(url: str) -> None:
    engine = create_engine(url)
    try:
        await seed_demo(create_sessionmaker(engine), DEMO_PASSWORD)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, seeded SQLite file copied for each test (migrating per test is slow)."""
    path = tmp_path_factory.mktemp("template") / "handoff.db"
    url = f"sqlite:///{path}"
    in_thread(migrate, url)
    in_thread(asyncio.run, _seed(url))
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated, seeded PostgreSQL database used as the TEMPLATE of each test's database."""
    if PG_URL is None:
        pytest.skip(PG_SKIP)
    url = create_pg_database(PG_URL)
    try:
        in_thread(migrate, url)
        in_thread(asyncio.run, _seed(url))
        yield url
    finally:
        drop_pg_database(PG_URL, url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database holding only the demo workers, on each available backend."""
    if request.param == "sqlite":
        path = tmp_path / "handoff.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")  # skips with PG_SKIP when no URL is set
    assert PG_URL is not None
    url = create_pg_database(PG_URL, template=template)
    try:
        yield url
    finally:
        drop_pg_database(PG_URL, url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        public_url="http://handoff.test",
        api_token=TOKEN,
        session_secret="test-session-secret",
        demo_worker_password=DEMO_PASSWORD,
    )


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings) -> Any:
    return await aiohttp_client(create_app(settings))


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Any]:
    """A sessionmaker on the test database, for assertions on what was (not) written."""
    engine = create_engine(settings.database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def workers(db: Any) -> dict[str, int]:
    """Demo worker ids by first name in lower case (amina, tomasz, grace, daniel, fatima, sam)."""
    async with db() as session:
        rows = (await session.execute(select(Worker.email, Worker.id))).all()
    return {email.split("@")[0]: worker_id for email, worker_id in rows}


@pytest.fixture
async def job_runner(db: Any, settings: Settings) -> AsyncIterator[JobRunner]:
    """A job runner on the test database, run explicitly (`await job_runner.run_until_idle()`)."""
    async with JobRunner(db, settings, name="test-runner") as runner:
        yield runner


@pytest.fixture
async def rasa(aiohttp_server: Any) -> AsyncIterator[tuple[FakeRasa, str]]:
    """A fake Rasa server: (recorder, base URL)."""
    fake = FakeRasa()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    server = await aiohttp_server(app)
    yield fake, str(server.make_url("")).rstrip("/")
