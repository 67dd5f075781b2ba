"""Retention: records older than the cutoff go, recent ones and anonymous counts stay; Rasa is told."""
from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from handoff.__main__ import main
from handoff.counts import monthly_counts
from handoff.models import Booking, ConsentRecord, Handoff, HandoffNote, Job, Resident, UrgentAlert, Worker, utcnow
from handoff.retention import apply_retention

from conftest import in_thread
from handoff_helpers import AUTH, TOKEN, book, slots_of

OLD = utcnow() - dt.timedelta(days=400)


async def old_conversation(db: Any, worker_id: int, conversation: str) -> None:
    """What a conversation from over a year ago leaves behind (written directly: the API refuses the past)."""
    async with db.begin() as session:
        resident = Resident(channel="rest", identity=conversation, name="Old Name", created_at=OLD, updated_at=OLD)
        session.add(resident)
        await session.flush()
        booking = Booking(
            worker_id=worker_id, resident_id=resident.id, start_at=OLD, end_at=OLD + dt.timedelta(hours=1),
            mode="phone", status="booked", conversation_id=conversation, channel="rest", created_at=OLD, updated_at=OLD,
        )
        session.add(booking)
        await session.flush()
        handoff = Handoff(
            conversation_id=conversation, channel="rest", created_at=OLD, updated_at=OLD, booking_id=booking.id,
            resident_id=resident.id, resident_name="Old Name", share_with_worker=True, urgent=True, risks=["homeless_tonight"],
        )
        session.add(handoff)
        await session.flush()
        session.add_all([
            HandoffNote(handoff_id=handoff.id, worker_id=worker_id, kind="note", text="old note", created_at=OLD),
            UrgentAlert(handoff_id=handoff.id, worker_id=worker_id, created_at=OLD),
            ConsentRecord(resident_id=resident.id, handoff_id=handoff.id, share_with_worker=True, at=OLD),
            Job(kind="notify_booking_made", payload={"booking_id": booking.id}, status="done", created_at=OLD, updated_at=OLD),
            Job(kind="reminder", payload={}, status="cancelled", created_at=OLD, updated_at=OLD),
        ])


async def recent_conversation(client: Any, worker_id: int, conversation: str) -> None:
    slot = (await slots_of(client, worker_id, "food_fuel"))[0]
    assert (await book(client, worker_id, slot["start"], conversation_id=conversation,
                       resident={"identity": conversation, "name": "New Name"})).status == 201
    summary = {"conversation_id": conversation, "consent": {"share_with_worker": True}, "needs": [{"id": "food_fuel"}]}
    assert (await client.post("/api/v1/handoffs", json=summary, headers=AUTH)).status == 201


async def counts(db: Any) -> dict[str, int]:
    async with db() as session:
        return {
            model.__tablename__: await session.scalar(select(func.count()).select_from(model))
            for model in (Handoff, HandoffNote, UrgentAlert, ConsentRecord, Booking, Resident, Job)
        }


async def erase_jobs(db: Any) -> list[str]:
    async with db() as session:
        return [j.payload["conversation_id"] for j in (await session.scalars(select(Job).where(Job.kind == "erase_conversation"))).all()]


async def test_dry_run_counts_and_deletes_nothing(client: Any, workers: dict[str, int], db: Any) -> None:
    await old_conversation(db, workers["amina"], "old-conv")
    await recent_conversation(client, workers["amina"], "new-conv")
    before = await counts(db)
    report = await apply_retention(db, 365, dry_run=True)
    assert (report.handoffs, report.bookings, report.residents, report.notes, report.urgent_alerts) == (1, 1, 1, 1, 1)
    assert (report.consent_records, report.jobs, report.conversations_erased_in_rasa) == (1, 2, 1)
    assert await counts(db) == before and await erase_jobs(db) == []


async def test_retention_deletes_old_records_keeps_recent_ones_and_counts(client: Any, workers: dict[str, int], db: Any) -> None:
    await old_conversation(db, workers["amina"], "old-conv")
    await recent_conversation(client, workers["amina"], "new-conv")
    async with db() as session:
        counted = await monthly_counts(session)
        pending_jobs = await session.scalar(select(func.count()).select_from(Job).where(Job.status == "pending"))
    report = await apply_retention(db, 365)
    assert report.handoffs == 1 and report.bookings == 1 and report.residents == 1 and report.jobs == 2
    async with db() as session:
        assert (await session.scalars(select(Handoff.conversation_id))).all() == ["new-conv"]
        assert (await session.scalars(select(Booking.conversation_id))).all() == ["new-conv"]
        assert (await session.scalars(select(Resident.identity))).all() == ["new-conv"]
        assert await session.scalar(select(func.count()).select_from(HandoffNote)) == 0
        assert await session.scalar(select(func.count()).select_from(ConsentRecord)) == 1  # the recent one
        # Pending work is never swept away, however old; one new job asks Rasa to forget.
        assert await session.scalar(select(func.count()).select_from(Job).where(Job.status == "pending")) == pending_jobs + 1
        assert await monthly_counts(session) == counted
    assert await erase_jobs(db) == ["old-conv"]
    again = await apply_retention(db, 365)
    assert (again.handoffs, again.bookings, again.conversations_erased_in_rasa) == (0, 0, 0)


async def test_a_conversation_with_recent_records_is_not_erased_in_rasa(client: Any, workers: dict[str, int], db: Any) -> None:
    await old_conversation(db, workers["amina"], "came-back")
    await recent_conversation(client, workers["amina"], "came-back")
    report = await apply_retention(db, 365)
    assert report.handoffs == 1 and report.bookings == 1
    assert report.residents == 0  # the same resident booked again recently
    assert await erase_jobs(db) == []


async def test_shorter_retention_takes_more(client: Any, workers: dict[str, int], db: Any) -> None:
    await old_conversation(db, workers["amina"], "old-conv")
    assert (await apply_retention(db, 500)).handoffs == 0
    assert (await apply_retention(db, 30)).handoffs == 1
    with pytest.raises(ValueError):
        await apply_retention(db, 0)


def test_retention_command_prints_counts_only(
    database_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from handoff.db import create_engine, create_sessionmaker

    async def setup() -> None:
        engine = create_engine(database_url)
        try:
            sessionmaker = create_sessionmaker(engine)
            async with sessionmaker() as session:
                worker_id = await session.scalar(select(func.min(Worker.id)))
            await old_conversation(sessionmaker, worker_id, "cli-conv")
        finally:
            await engine.dispose()

    in_thread(asyncio.run, setup())
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HANDOFF_API_TOKEN", TOKEN)
    monkeypatch.setenv("RETENTION_DAYS", "365")
    assert main(["retention", "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "would be deleted" in dry and "handoffs: 1" in dry
    assert main(["retention", "--days", "30"]) == 0
    out = capsys.readouterr().out
    assert "older than 30 days deleted" in out and "handoffs: 1" in out and "residents: 1" in out
    assert "cli-conv" not in dry + out and "Old Name" not in dry + out
