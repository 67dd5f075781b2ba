"""Audit trail of handoff reads: who, which, when, allowed — never content."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from .models import AuditEntry


def record_read(session: AsyncSession, worker_id: int | None, handoff_id: int | None, action: str, allowed: bool) -> None:
    session.add(AuditEntry(worker_id=worker_id, handoff_id=handoff_id, action=action, allowed=allowed))
