"""Residents, known by (channel, identity)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Resident, utcnow

PROFILE_FIELDS = ("name", "contact", "preferred_contact", "safe_contact", "language")


async def find_resident(session: AsyncSession, channel: str, identity: str) -> Resident | None:
    return await session.scalar(select(Resident).where(Resident.channel == channel, Resident.identity == identity))


async def get_or_create_resident(session: AsyncSession, channel: str, identity: str) -> Resident:
    """The resident for a channel identity, inserted race-free (ON CONFLICT DO NOTHING) if new."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    await session.execute(
        insert(Resident)
        .values(channel=channel, identity=identity, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["channel", "identity"])
    )
    resident = await find_resident(session, channel, identity)
    assert resident is not None  # inserted above or by a concurrent request
    return resident


def update_profile(resident: Resident, values: dict[str, Any]) -> None:
    """Copy the non-empty profile fields given by the caller onto the resident."""
    for name in PROFILE_FIELDS:
        value = values.get(name)
        if value:
            setattr(resident, name, value)


def resident_json(resident: Resident) -> dict[str, Any]:
    return {
        "id": resident.id,
        "channel": resident.channel,
        "identity": resident.identity,
        "name": resident.name,
        "contact": resident.contact,
        "preferred_contact": resident.preferred_contact,
        "safe_contact": resident.safe_contact,
        "language": resident.language,
        "previous_worker_id": resident.previous_worker_id,
    }
