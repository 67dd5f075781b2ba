"""Migrations from empty on each backend; settings parsing; the OpenAPI document."""
from __future__ import annotations

import stat
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from sqlalchemy import inspect

from handoff.db import create_engine, downgrade, migrate
from handoff.settings import Settings, normalise_database_url

from conftest import PG_SKIP, PG_URL, create_pg_database, drop_pg_database, in_thread

EXPECTED_TABLES = {
    "workers", "weekly_availability", "availability_exceptions", "residents", "bookings", "handoffs",
    "consent_records", "handoff_notes", "urgent_alerts", "audit_log", "jobs", "anonymous_counts",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if PG_URL is None:
        pytest.skip(PG_SKIP)
    url = create_pg_database(PG_URL)
    try:
        yield url
    finally:
        drop_pg_database(PG_URL, url)


async def tables_and_indexes(url: str) -> tuple[set[str], set[str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            def read(sync: Any) -> tuple[set[str], set[str]]:
                inspector = inspect(sync)
                names = set(inspector.get_table_names())
                indexes = {i["name"] for i in inspector.get_indexes("bookings")} if "bookings" in names else set()
                return names, indexes

            return await connection.run_sync(read)
    finally:
        await engine.dispose()


async def test_migrations_upgrade_downgrade_and_upgrade_again(empty_database: str) -> None:
    in_thread(migrate, empty_database)
    tables, indexes = await tables_and_indexes(empty_database)
    assert EXPECTED_TABLES <= tables
    assert "uq_bookings_active_slot" in indexes
    in_thread(downgrade, empty_database, "base")
    tables, _ = await tables_and_indexes(empty_database)
    assert tables <= {"alembic_version"}
    in_thread(migrate, empty_database)
    tables, _ = await tables_and_indexes(empty_database)
    assert EXPECTED_TABLES <= tables


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///./x.db", "sqlite+aiosqlite:///./x.db"),
        ("sqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db"),
        ("postgresql://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgres://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgresql+asyncpg://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgresql+psycopg2://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
    ],
)
def test_database_urls_are_normalised_to_async_drivers(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


def test_unsupported_database_is_refused() -> None:
    with pytest.raises(ValueError):
        normalise_database_url("mysql://u@h/db")


def test_defaults_create_data_dir_and_private_secrets(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = Settings.from_env({"DATA_DIR": str(data_dir)})
    assert settings.database_url == f"sqlite+aiosqlite:///{data_dir / 'handoff.db'}"
    assert (settings.host, settings.port, settings.public_url) == ("127.0.0.1", 8080, "http://127.0.0.1:8080")
    assert settings.timezone == "Europe/London" and settings.smtp_url is None
    token_file = data_dir / "handoff_api_token"
    assert token_file.read_text().strip() == settings.api_token
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((data_dir / "handoff_session_secret").stat().st_mode) == 0o600
    again = Settings.from_env({"DATA_DIR": str(data_dir)})
    assert again.api_token == settings.api_token  # generated once, then reused
    assert settings.api_token not in repr(settings)


def test_environment_overrides(tmp_path: Path) -> None:
    settings = Settings.from_env({
        "DATA_DIR": str(tmp_path), "HANDOFF_API_TOKEN": "tok", "HANDOFF_PORT": "9001",
        "HANDOFF_HOST": "0.0.0.0", "DATABASE_URL": "postgresql://u:p@db/x", "DUTY_WORKER_EMAIL": "a@b.c",
    })
    assert settings.api_token == "tok" and settings.port == 9001
    assert settings.public_url == "http://0.0.0.0:9001"
    assert settings.database_url == "postgresql+asyncpg://u:p@db/x"
    assert settings.duty_worker_email == "a@b.c"
    assert not (tmp_path / "handoff_api_token").exists()


def test_jobs_rasa_and_retention_settings(tmp_path: Path) -> None:
    defaults = Settings.from_env({"DATA_DIR": str(tmp_path)})
    assert (defaults.jobs_poll_seconds, defaults.jobs_lease_seconds, defaults.jobs_max_attempts) == (1, 60, 8)
    assert (defaults.rasa_url, defaults.rasa_api_token, defaults.rasa_erase_token, defaults.retention_days) == (None, None, None, 365)
    settings = Settings.from_env({
        "DATA_DIR": str(tmp_path), "JOBS_POLL_SECONDS": "0.5", "JOBS_LEASE_SECONDS": "30", "JOBS_MAX_ATTEMPTS": "3",
        "JOBS_BACKOFF_SECONDS": "5", "RASA_URL": "http://rasa:5005/", "RASA_API_TOKEN": "api-tok",
        "RASA_ERASE_TOKEN": "erase-tok", "RETENTION_DAYS": "90",
    })
    assert (settings.jobs_poll_seconds, settings.jobs_lease_seconds, settings.jobs_max_attempts) == (0.5, 30, 3)
    assert settings.jobs_backoff_seconds == 5 and settings.retention_days == 90
    assert settings.rasa_url == "http://rasa:5005"  # no trailing slash, so paths join cleanly
    assert (settings.rasa_api_token, settings.rasa_erase_token) == ("api-tok", "erase-tok")
    assert "api-tok" not in repr(settings) and "erase-tok" not in repr(settings)


def test_openapi_document_lists_every_api_route() -> None:
    from handoff.api import routes

    document = yaml.safe_load((Path(__file__).parents[2] / "handoff" / "openapi.yaml").read_text())
    assert document["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    served = {(route.path, route.method) for route in routes}  # type: ignore[attr-defined]
    assert served == documented


async def test_openapi_is_served_without_auth(client: Any) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status == 200
    assert "/api/v1/handoffs" in (await response.json())["paths"]

