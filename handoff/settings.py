"""Settings for the handoff service, read once from environment variables.

| variable               | default                               | meaning                                          |
|------------------------|---------------------------------------|--------------------------------------------------|
| DATA_DIR               | ./.data                               | SQLite file, email outbox, generated secrets     |
| DATABASE_URL           | sqlite:///$DATA_DIR/handoff.db        | sqlite:///…, postgresql://…, postgresql+asyncpg://… |
| HANDOFF_HOST           | 127.0.0.1                             | interface to listen on                           |
| HANDOFF_PORT           | 8080                                  | port to listen on                                |
| HANDOFF_PUBLIC_URL     | http://HANDOFF_HOST:HANDOFF_PORT      | base of links in emails                          |
| HANDOFF_API_TOKEN      | $DATA_DIR/handoff_api_token (0600)    | bearer token for /api/v1                         |
| HANDOFF_SESSION_SECRET | $DATA_DIR/handoff_session_secret      | key for worker session cookies                   |
| DEMO_WORKER_PASSWORD   | demo-password                         | password of demo workers (seed-demo only)        |
| DUTY_WORKER_EMAIL      | (unset: the on-duty worker in the DB) | who receives urgent alerts                       |
| SMTP_URL               | (unset: .eml files in $DATA_DIR/outbox) | smtp://host:port for outgoing email            |
| TIMEZONE               | Europe/London                         | local time of weekly availability                |
| JOBS_POLL_SECONDS      | 1                                     | how often `serve` looks for due background jobs  |
| JOBS_LEASE_SECONDS     | 60                                    | a claimed job is retried after this if its instance died |
| JOBS_MAX_ATTEMPTS      | 8                                     | attempts before a job is marked failed           |
| JOBS_BACKOFF_SECONDS   | 30                                    | first retry delay; doubles each attempt (max 1 h) |
| RASA_URL               | (unset: reminder/erase jobs fail, "RASA_URL not set") | Rasa server, for reminders and erasure |
| RASA_API_TOKEN         | (unset: no ?token=)                   | Rasa HTTP API token (execute: reminders)         |
| RASA_ERASE_TOKEN       | (unset: erase jobs fail)              | bearer token of Rasa's /webhooks/privacy/erase   |
| RETENTION_DAYS         | 365                                   | `retention` deletes records older than this      |
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo


def normalise_database_url(url: str) -> str:
    """Map plain sqlite/postgresql URLs onto the async drivers this service uses."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("DATABASE_URL must look like sqlite:///path or postgresql://…")
    base = scheme.split("+", 1)[0]
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if base in ("postgresql", "postgres"):
        return f"postgresql+asyncpg://{rest}"
    raise ValueError(f"unsupported database scheme {scheme!r}")


def _secret_from_file(path: Path) -> str:
    """Read a generated secret, creating it (mode 0600) on first use."""
    try:
        value = path.read_text().strip()
        if value:
            return value
    except FileNotFoundError:
        pass
    value = secrets.token_urlsafe(32)
    # O_EXCL so two processes starting together cannot both write different secrets.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything configurable about one handoff service process."""

    data_dir: Path
    database_url: str
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://127.0.0.1:8080"
    api_token: str = field(default="", repr=False)
    session_secret: str = field(default="", repr=False)
    demo_worker_password: str = field(default="demo-password", repr=False)
    duty_worker_email: str | None = None
    smtp_url: str | None = None
    timezone: str = "Europe/London"
    jobs_poll_seconds: float = 1.0
    jobs_lease_seconds: float = 60.0
    jobs_max_attempts: int = 8
    jobs_backoff_seconds: float = 30.0
    rasa_url: str | None = None
    rasa_api_token: str | None = field(default=None, repr=False)
    rasa_erase_token: str | None = field(default=None, repr=False)
    retention_days: int = 365

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Build settings from the environment, creating DATA_DIR and secrets if missing."""
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("DATA_DIR") or "./.data").resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        host = env.get("HANDOFF_HOST") or "127.0.0.1"
        port = int(env.get("HANDOFF_PORT") or 8080)
        raw_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'handoff.db'}"
        return cls(
            data_dir=data_dir,
            database_url=normalise_database_url(raw_url),
            host=host,
            port=port,
            public_url=(env.get("HANDOFF_PUBLIC_URL") or f"http://{host}:{port}").rstrip("/"),
            api_token=env.get("HANDOFF_API_TOKEN") or _secret_from_file(data_dir / "handoff_api_token"),
            session_secret=env.get("HANDOFF_SESSION_SECRET")
            or _secret_from_file(data_dir / "handoff_session_secret"),
            demo_worker_password=env.get("DEMO_WORKER_PASSWORD") or "demo-password",
            duty_worker_email=(env.get("DUTY_WORKER_EMAIL") or None),
            smtp_url=env.get("SMTP_URL") or None,
            timezone=env.get("TIMEZONE") or "Europe/London",
            jobs_poll_seconds=float(env.get("JOBS_POLL_SECONDS") or 1),
            jobs_lease_seconds=float(env.get("JOBS_LEASE_SECONDS") or 60),
            jobs_max_attempts=int(env.get("JOBS_MAX_ATTEMPTS") or 8),
            jobs_backoff_seconds=float(env.get("JOBS_BACKOFF_SECONDS") or 30),
            rasa_url=(env.get("RASA_URL") or "").rstrip("/") or None,
            rasa_api_token=env.get("RASA_API_TOKEN") or None,
            rasa_erase_token=env.get("RASA_ERASE_TOKEN") or None,
            retention_days=int(env.get("RETENTION_DAYS") or 365),
        )
