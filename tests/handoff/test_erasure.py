"""Erasure: everything personal for a conversation goes (API and worker app); counts and audit stay."""
from __future__ import annotations

import dataclasses
import email
import email.policy
from typing import Any

from sqlalchemy import func, select

from handoff.counts import monthly_counts
from handoff.jobs import JobRunner
from handoff.models import (
    AuditEntry,
    Booking,
    ConsentRecord,
    Handoff,
    HandoffNote,
    Job,
    Resident,
    UrgentAlert,
)

from handoff_helpers import AUTH, FakeRasa, book, csrf_from, login, slots_of

PERSONAL_TABLES = (Handoff, HandoffNote, UrgentAlert, ConsentRecord, Booking, Resident)


async def rows(db: Any, model: Any) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def table_counts(db: Any) -> dict[str, int]:
    return {model.__tablename__: await rows(db, model) for model in PERSONAL_TABLES}


async def counts_snapshot(db: Any) -> Any:
    async with db() as session:
        return await monthly_counts(session)


async def resident_with_everything(client: Any, db: Any, worker_id: int, conversation: str) -> dict[str, Any]:
    """A future booking, a consented summary with a note, and an urgent alert, all for one conversation."""
    slot = (await slots_of(client, worker_id, "food_fuel"))[0]
    booking = await (
        await book(client, worker_id, slot["start"], conversation_id=conversation,
                   resident={"identity": conversation, "name": "Jo Bloggs", "contact": "07700 900123"})
    ).json()
    summary = {
        "conversation_id": conversation,
        "presenting_issue": "debt",
        "needs": [{"id": "food_fuel", "in_their_words": ["no gas since Monday"]}],
        "priority_need": "food_fuel",
        "resident": {"name": "Jo Bloggs", "contact": "07700 900123"},
        "consent": {"share_with_worker": True},
    }
    handoff = await (await client.post("/api/v1/handoffs", json=summary, headers=AUTH)).json()
    raised = await client.post("/api/v1/urgent", json={"conversation_id": conversation, "risks": ["no_food_or_heating"]}, headers=AUTH)
    assert raised.status == 201
    async with db.begin() as session:
        session.add(HandoffNote(handoff_id=handoff["id"], worker_id=worker_id, kind="note", text="Called Jo, no answer"))
    return {"slot": slot, "booking": booking, "handoff": handoff}


async def test_erasure_by_api_removes_everything_personal_and_keeps_counts(
    client: Any, workers: dict[str, int], db: Any, settings: Any, rasa: tuple[FakeRasa, str]
) -> None:
    fake, base = rasa
    other = await resident_with_everything(client, db, workers["amina"], "someone-else")
    made = await resident_with_everything(client, db, workers["amina"], "conv-erase")
    assert made["slot"] not in await slots_of(client, workers["amina"], "food_fuel")
    before_tables, before_counts = await table_counts(db), await counts_snapshot(db)
    assert before_counts  # handoffs were counted as they were created

    response = await client.post("/api/v1/erasures", json={"conversation_id": "conv-erase"}, headers=AUTH)
    assert response.status == 202
    receipt = await response.json()
    assert receipt == {
        "erased": {
            "handoffs": 1, "notes": 1, "urgent_alerts": 1, "consent_records": 1, "bookings": 1,
            "future_bookings_cancelled": 1, "reminders_cancelled": receipt["erased"]["reminders_cancelled"],
            "residents": 1,
        },
        "rasa_erasure": "queued",
    }
    assert "conv-erase" not in await response.text() and "Jo" not in await response.text()
    # Only this conversation's rows went; the other resident's are all still there.
    after = await table_counts(db)
    assert after == {name: before_tables[name] - receipt["erased"][key] for name, key in (
        ("handoffs", "handoffs"), ("handoff_notes", "notes"), ("urgent_alerts", "urgent_alerts"),
        ("consent_records", "consent_records"), ("bookings", "bookings"), ("residents", "residents"))}
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(Handoff).where(Handoff.conversation_id == "conv-erase")) == 0
        assert await session.scalar(select(func.count()).select_from(Resident).where(Resident.identity == "conv-erase")) == 0
        assert await session.get(Handoff, other["handoff"]["id"]) is not None
        assert [a for (a,) in (await session.execute(select(AuditEntry.action).where(AuditEntry.handoff_id == made["handoff"]["id"])))] [-1] == "erased"
    assert await counts_snapshot(db) == before_counts  # erasure never reduces the anonymous counts
    assert made["slot"] in await slots_of(client, workers["amina"], "food_fuel")  # the slot is free again

    rasa_settings = dataclasses.replace(settings, rasa_url=base, rasa_erase_token="erase-secret")
    async with JobRunner(db, rasa_settings) as runner:
        await runner.run_until_idle()
    [request] = [r for r in fake.requests if r["path"] == "/webhooks/privacy/erase"]
    assert request["method"] == "POST"
    assert request["headers"]["Authorization"] == "Bearer erase-secret"
    assert request["json"] == {"conversation_id": "conv-erase"}
    async with db() as session:
        job = await session.scalar(select(Job).where(Job.kind == "erase_conversation"))
    assert job.status == "done" and job.payload == {"conversation_id": None}  # nothing personal kept
    emails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in (settings.data_dir / "outbox").glob("*.eml")]
    [cancelled] = [e.get_content() for e in emails if e["Subject"] == "Appointment cancelled"]
    assert "has been cancelled" in cancelled and "/appointments/" not in cancelled and "Jo" not in cancelled


async def test_erasing_twice_is_fine_and_the_second_receipt_is_zeros(client: Any, workers: dict[str, int], db: Any) -> None:
    await resident_with_everything(client, db, workers["amina"], "conv-twice")
    first = await client.post("/api/v1/erasures", json={"conversation_id": "conv-twice"}, headers=AUTH)
    second = await client.post("/api/v1/erasures", json={"conversation_id": "conv-twice"}, headers=AUTH)
    assert (first.status, second.status) == (202, 202)
    assert set((await second.json())["erased"].values()) == {0}
    async with db() as session:
        # Rasa is asked each time: it may hold a conversation the handoff service never saw.
        assert await session.scalar(select(func.count()).select_from(Job).where(Job.kind == "erase_conversation")) == 2


async def test_erasure_needs_the_token_and_a_conversation_id(client: Any) -> None:
    assert (await client.post("/api/v1/erasures", json={"conversation_id": "c"})).status == 401
    missing = await client.post("/api/v1/erasures", json={}, headers=AUTH)
    assert missing.status == 422 and (await missing.json())["field"] == "conversation_id"


async def test_rasa_erase_is_retried_until_confirmed_and_fails_without_a_token(
    client: Any, db: Any, settings: Any, rasa: tuple[FakeRasa, str]
) -> None:
    fake, base = rasa
    fake.statuses = [404, 503]  # e.g. Rasa's endpoint not deployed yet, then restarting
    await client.post("/api/v1/erasures", json={"conversation_id": "conv-retry"}, headers=AUTH)
    rasa_settings = dataclasses.replace(settings, rasa_url=base, rasa_erase_token="erase-secret", jobs_backoff_seconds=0)
    async with JobRunner(db, rasa_settings) as runner:
        for _ in range(3):
            await runner.run_once()
    async with db() as session:
        job = await session.scalar(select(Job).where(Job.kind == "erase_conversation"))
    assert (job.status, job.attempts) == ("done", 3) and len(fake.requests) == 3
    await client.post("/api/v1/erasures", json={"conversation_id": "conv-no-token"}, headers=AUTH)
    async with JobRunner(db, dataclasses.replace(rasa_settings, rasa_erase_token=None)) as runner:
        await runner.run_until_idle()
    async with db() as session:
        failed = await session.scalar(select(Job).where(Job.kind == "erase_conversation", Job.status == "failed"))
    assert failed.last_error == "RASA_ERASE_TOKEN not set"


async def test_worker_erases_from_the_handoff_page_with_a_confirm_step(
    client: Any, workers: dict[str, int], db: Any
) -> None:
    made = await resident_with_everything(client, db, workers["amina"], "conv-web")
    handoff_id = made["handoff"]["id"]
    before_counts = await counts_snapshot(db)
    await login(client, "amina@example.org")
    page = await (await client.get(f"/handoffs/{handoff_id}")).text()
    assert "Erase this resident's data" in page and f'action="/handoffs/{handoff_id}/erase"' in page
    confirm = await client.get(f"/handoffs/{handoff_id}/erase")
    assert confirm.status == 200
    token = csrf_from(await confirm.text())
    forged = await client.post(f"/handoffs/{handoff_id}/erase", data={"csrf_token": "forged", "confirm": "yes"})
    assert forged.status == 403
    assert await rows(db, Handoff) == 1
    done = await client.post(f"/handoffs/{handoff_id}/erase", data={"csrf_token": token, "confirm": "yes"})
    assert done.status == 200
    html = await done.text()
    assert 'id="erased"' in html and "Jo Bloggs" not in html
    assert await table_counts(db) == {name: 0 for name in ("handoffs", "handoff_notes", "urgent_alerts", "consent_records", "bookings", "residents")}
    assert await counts_snapshot(db) == before_counts
    async with db() as session:
        audit = (await session.execute(
            select(AuditEntry.worker_id, AuditEntry.handoff_id, AuditEntry.action, AuditEntry.allowed)
            .where(AuditEntry.worker_id.is_not(None)).order_by(AuditEntry.id)
        )).all()
    assert [tuple(a) for a in audit][-3:] == [
        (workers["amina"], handoff_id, "erase_confirm", True),
        (workers["amina"], handoff_id, "erase", True),
        (workers["amina"], handoff_id, "erased", True),
    ]
    assert (await client.get(f"/handoffs/{handoff_id}")).status == 404


async def test_another_worker_cannot_erase_and_is_audited(client: Any, workers: dict[str, int], db: Any) -> None:
    made = await resident_with_everything(client, db, workers["amina"], "conv-not-yours")
    handoff_id = made["handoff"]["id"]
    await login(client, "tomasz@example.org")
    token = csrf_from(await (await client.get("/")).text())
    assert (await client.get(f"/handoffs/{handoff_id}/erase")).status == 403
    denied = await client.post(f"/handoffs/{handoff_id}/erase", data={"csrf_token": token, "confirm": "yes"})
    assert denied.status == 403 and "Jo Bloggs" not in await denied.text()
    assert await rows(db, Handoff) == 1 and await rows(db, Booking) == 1
    async with db() as session:
        audit = (await session.execute(
            select(AuditEntry.worker_id, AuditEntry.handoff_id, AuditEntry.action, AuditEntry.allowed)
            .where(AuditEntry.worker_id == workers["tomasz"])
        )).all()
    assert [tuple(a) for a in audit] == [
        (workers["tomasz"], handoff_id, "erase_confirm", False),
        (workers["tomasz"], handoff_id, "erase", False),
    ]


async def test_anonymous_counts_tally_new_summaries(client: Any, db: Any) -> None:
    await client.post(
        "/api/v1/handoffs",
        json={"conversation_id": "c-count", "channel": "twilio_sms", "needs": [{"id": "benefits"}],
              "consent": {"share_with_worker": True}, "risks": ["homeless_tonight"]},
        headers=AUTH,
    )
    await client.post("/api/v1/urgent", json={"conversation_id": "c-urgent", "risks": ["child_at_risk"]}, headers=AUTH)
    [month] = (await counts_snapshot(db)).values()
    assert month["handoffs"] == {"all": 2}
    assert month["channel"] == {"twilio_sms": 1, "rest": 1}
    assert month["urgent"] == {"yes": 2}
    assert month["risk"] == {"homeless_tonight": 1, "child_at_risk": 1}
    assert month["need"] == {"benefits": 1}
