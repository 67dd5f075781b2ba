"""Action-server settings from environment variables (defaults documented in the README)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    handoff_url: str
    handoff_token: str
    handoff_timeout: float
    timezone: str

    @classmethod
    def from_env(cls) -> "Settings":
        port = os.environ.get("HANDOFF_PORT", "8080")
        return cls(
            handoff_url=os.environ.get("HANDOFF_URL", f"http://127.0.0.1:{port}").rstrip("/"),
            handoff_token=_token(),
            # short: a resident is waiting, and no action call may hang a conversation
            handoff_timeout=float(os.environ.get("HANDOFF_TIMEOUT_SECONDS", "5")),
            timezone=timezone(),
        )


def timezone() -> str:
    """How times are shown to residents (and how workers' weekly hours are read)."""
    return os.environ.get("TIMEZONE", "Europe/London")


def _token() -> str:
    """HANDOFF_API_TOKEN, else the dev token the handoff service generated in DATA_DIR."""
    token = os.environ.get("HANDOFF_API_TOKEN")
    if token:
        return token
    path = Path(os.environ.get("DATA_DIR", ".data")) / "handoff_api_token"
    return path.read_text().strip() if path.exists() else ""
