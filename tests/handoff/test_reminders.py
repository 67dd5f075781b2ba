"""Reminders: scheduled at start−24 h and start−2 h, delivered through Rasa's execute endpoint."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from handoff import reminders
from handoff.jobs import JobRunner, enqueue
from handoff.models import Booking, Job, utcnow

from handoff_helpers import AUTH, FakeRasa, book, slots_of


@pytest.fixture
def rasa_settings(settings: Any, rasa: tuple[FakeRasa, str]) -> Any:
    return dataclasses.replace(settings, rasa_url=rasa[1], rasa_api_token="rasa-secret", jobs_backoff_seconds=30)


async def later_slot(client: Any, worker_id: int, skip: int = 0) -> dict[str, str]:
    """A free slot more than a day ahead, so both reminders are still to come."""
    soon = utcnow() + dt.timedelta(hours=26)
    slots = [s for s in await slots_of(client, worker_id, "food_fuel", count=20) if dt.datetime.fromisoformat(s["start"]) > soon]
    return slots[skip]


async def reminder_jobs(db: Any) -> list[Job]:
    async with db() as session:
        return list((await session.scalars(select(Job).where(Job.kind == "reminder").order_by(Job.id))).all())


def pending(jobs: list[Job]) -> dict[str, dt.datetime]:
    return {j.payload["reminder"]: j.run_at for j in jobs if j.status == "pending"}


async def test_booking_schedules_two_reminders_and_rasa_gets_the_exact_request(
    client: Any, workers: dict[str, int], db: Any, rasa: tuple[FakeRasa, str], rasa_settings: Any
) -> None:
    fake, _ = rasa
    slot = await later_slot(client, workers["amina"])
    start = dt.datetime.fromisoformat(slot["start"])
    conversation = "whatsapp:+44 7700/900?x"  # must be URL-quoted as one path segment
    booking = await (
        await book(client, workers["amina"], slot["start"], conversation_id=conversation, channel="twilio_whatsapp")
    ).json()
    jobs = await reminder_jobs(db)
    assert pending(jobs) == {"day_before": start - dt.timedelta(hours=24), "two_hours": start - dt.timedelta(hours=2)}
    assert all(set(j.payload) == {"booking_id", "reminder", "start"} for j in jobs)  # ids only
    async with JobRunner(db, rasa_settings) as runner:
        assert await runner.run_once(now=start - dt.timedelta(hours=25)) == 1  # the booking email only
        assert fake.requests == []
        assert await runner.run_once(now=start - dt.timedelta(hours=24)) == 1
    [request] = fake.requests
    assert request["method"] == "POST"
    raw_path = request["raw_path"].split("?")[0]
    # One path segment ("/" and "?" in the id are escaped), and the id survives the round trip.
    assert raw_path.split("/") == ["", "conversations", raw_path.split("/")[2], "execute"]
    assert "%2F900%3Fx" in raw_path and unquote(raw_path) == f"/conversations/{conversation}/execute"
    assert request["query"] == {"output_channel": "twilio_whatsapp", "token": "rasa-secret"}
    assert request["json"] == {"name": "action_remind_day_before"}
    assert [j.status for j in await reminder_jobs(db)] == ["done", "pending"]


async def test_no_token_parameter_without_rasa_api_token(
    client: Any, workers: dict[str, int], db: Any, rasa: tuple[FakeRasa, str], rasa_settings: Any
) -> None:
    fake, _ = rasa
    slot = await later_slot(client, workers["amina"])
    start = dt.datetime.fromisoformat(slot["start"])
    await book(client, workers["amina"], slot["start"], conversation_id="conv-r2")
    async with JobRunner(db, dataclasses.replace(rasa_settings, rasa_api_token=None)) as runner:
        await runner.run_until_idle(now=start - dt.timedelta(hours=1))
    assert [r["query"] for r in fake.requests] == [{"output_channel": "rest"}] * 2
    assert [r["json"]["name"] for r in fake.requests] == ["action_remind_day_before", "action_remind_two_hours"]


async def test_reminders_already_past_are_skipped_and_none_without_a_conversation(
    client: Any, workers: dict[str, int], db: Any
) -> None:
    # A booking made less than a day ahead: only the two-hour reminder is still to come. The
    # clock is passed in, so this holds whatever day and hour the tests run.
    first = await later_slot(client, workers["amina"])
    start = dt.datetime.fromisoformat(first["start"])
    booking_id = (await (await book(client, workers["amina"], first["start"], conversation_id="conv-soon")).json())["id"]
    async with db() as session, session.begin():
        await reminders.schedule(session, await session.get(Booking, booking_id), now=start - dt.timedelta(hours=23))
    assert set(pending(await reminder_jobs(db))) == {"two_hours"}
    async with db() as session, session.begin():
        await reminders.schedule(session, await session.get(Booking, booking_id), now=start - dt.timedelta(hours=1))
    assert pending(await reminder_jobs(db)) == {}
    slot = await later_slot(client, workers["amina"], skip=1)
    response = await client.post(
        "/api/v1/bookings",
        json={"worker_id": workers["amina"], "start": slot["start"], "mode": "phone", "resident": {"identity": "anon"}},
        headers=AUTH,
    )
    assert response.status == 201
    booking_id = (await response.json())["id"]
    assert not [j for j in await reminder_jobs(db) if j.payload["booking_id"] == booking_id]


async def test_cancelling_cancels_pending_reminders(
    client: Any, workers: dict[str, int], db: Any, rasa: tuple[FakeRasa, str], rasa_settings: Any
) -> None:
    fake, _ = rasa
    slot = await later_slot(client, workers["amina"])
    booking = await (await book(client, workers["amina"], slot["start"], conversation_id="conv-c")).json()
    assert (await client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=AUTH)).status == 200
    assert [j.status for j in await reminder_jobs(db)] == ["cancelled", "cancelled"]
    async with JobRunner(db, rasa_settings) as runner:
        await runner.run_until_idle(now=dt.datetime.fromisoformat(slot["start"]))
    assert fake.requests == []


async def test_moving_replaces_the_reminders(
    client: Any, workers: dict[str, int], db: Any, rasa: tuple[FakeRasa, str], rasa_settings: Any
) -> None:
    first, second = await later_slot(client, workers["amina"]), await later_slot(client, workers["amina"], skip=1)
    booking = await (await book(client, workers["amina"], first["start"], conversation_id="conv-m")).json()
    moved = await client.post(f"/api/v1/bookings/{booking['id']}/move", json={"start": second["start"]}, headers=AUTH)
    assert moved.status == 200
    new_start = dt.datetime.fromisoformat(second["start"])
    jobs = await reminder_jobs(db)
    assert [j.status for j in jobs] == ["cancelled", "cancelled", "pending", "pending"]
    assert pending(jobs) == {"day_before": new_start - dt.timedelta(hours=24), "two_hours": new_start - dt.timedelta(hours=2)}
    # Moved back: the cancelled reminders for that time come back rather than being duplicated.
    await client.post(f"/api/v1/bookings/{booking['id']}/move", json={"start": first["start"]}, headers=AUTH)
    jobs = await reminder_jobs(db)
    assert len(jobs) == 4 and [j.status for j in jobs] == ["pending", "pending", "cancelled", "cancelled"]


async def test_a_stale_reminder_is_dropped_without_calling_rasa(
    client: Any, workers: dict[str, int], db: Any, rasa: tuple[FakeRasa, str], rasa_settings: Any
) -> None:
    """A reminder claimed just before a move (so not cancelled) notices the new time and stays quiet."""
    fake, _ = rasa
    slot = await later_slot(client, workers["amina"])
    booking = await (await book(client, workers["amina"], slot["start"], conversation_id="conv-s")).json()
    old = (dt.datetime.fromisoformat(slot["start"]) - dt.timedelta(days=7)).isoformat()
    async with db.begin() as session:
        await enqueue(session, "reminder", {"booking_id": booking["id"], "reminder": "two_hours", "start": old})
        await enqueue(session, "reminder", {"booking_id": 999999, "reminder": "two_hours", "start": old})
    async with JobRunner(db, rasa_settings) as runner:
        await runner.run_until_idle()
    assert fake.requests == []
    assert [j.status for j in await reminder_jobs(db)] == ["pending", "pending", "done", "done"]


async def test_rasa_503_is_retried_and_4xx_fails(
    client: Any, workers: dict[str, int], db: Any, rasa: tuple[FakeRasa, str], rasa_settings: Any
) -> None:
    fake, _ = rasa
    slot = await later_slot(client, workers["amina"])
    start = dt.datetime.fromisoformat(slot["start"])
    await book(client, workers["amina"], slot["start"], conversation_id="conv-503")
    fake.statuses = [503, 404]
    day_before = start - dt.timedelta(hours=24)
    async with JobRunner(db, rasa_settings) as runner:
        await runner.run_until_idle(now=day_before)  # booking email, then Rasa answers 503
        [retrying, _] = await reminder_jobs(db)
        assert (retrying.status, retrying.attempts, retrying.last_error) == ("pending", 1, "Rasa answered HTTP 503")
        assert retrying.run_at == day_before + dt.timedelta(seconds=30)
        await runner.run_until_idle(now=day_before + dt.timedelta(seconds=30))  # 404: give up
        [gave_up, _] = await reminder_jobs(db)
        assert (gave_up.status, gave_up.last_error) == ("failed", "Rasa answered HTTP 404")
        await runner.run_until_idle(now=start - dt.timedelta(hours=2))  # 200
    assert [j.status for j in await reminder_jobs(db)] == ["failed", "done"]
    assert len(fake.requests) == 3


async def test_without_rasa_url_reminders_fail_visibly(client: Any, workers: dict[str, int], db: Any, settings: Any) -> None:
    slot = await later_slot(client, workers["amina"])
    await book(client, workers["amina"], slot["start"], conversation_id="conv-nourl")
    assert settings.rasa_url is None
    async with JobRunner(db, settings) as runner:
        await runner.run_until_idle(now=dt.datetime.fromisoformat(slot["start"]) - dt.timedelta(hours=1))
    assert [(j.status, j.last_error) for j in await reminder_jobs(db)] == [("failed", "RASA_URL not set")] * 2


async def test_unreachable_rasa_is_retried(client: Any, workers: dict[str, int], db: Any, settings: Any) -> None:
    slot = await later_slot(client, workers["amina"])
    await book(client, workers["amina"], slot["start"], conversation_id="conv-down")
    down = dataclasses.replace(settings, rasa_url="http://127.0.0.1:9")  # nothing listens on the discard port
    async with JobRunner(db, down) as runner:
        await runner.run_until_idle(now=dt.datetime.fromisoformat(slot["start"]) - dt.timedelta(hours=24))
    [job, _] = await reminder_jobs(db)
    assert job.status == "pending" and job.last_error.startswith("Rasa unreachable")
