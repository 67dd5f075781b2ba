"""Booking, the one-booking-per-slot rule, idempotency, cancel, move, upcoming."""
from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import func, select

from handoff.models import Booking, Resident

from handoff_helpers import AUTH, book, slots_of


async def count_bookings(db: Any) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(Booking))


async def test_booking_a_real_slot_returns_the_booking(
    client: Any, workers: dict[str, int], settings: Any, job_runner: Any
) -> None:
    slot = (await slots_of(client, workers["amina"], "food_fuel"))[0]
    response = await book(client, workers["amina"], slot["start"], mode="face_to_face")
    assert response.status == 201
    body = await response.json()
    assert body["worker"] == {"id": workers["amina"], "name": "Amina Rahman"}
    assert (body["start"], body["end"], body["status"]) == (slot["start"], slot["end"], "booked")
    assert body["location"] == "Community Hub, 12 Vicarage Lane, E15"
    assert not (settings.data_dir / "outbox").exists()  # the email is a job, sent by the runner
    await job_runner.run_until_idle()
    outbox = list((settings.data_dir / "outbox").glob("*.eml"))
    assert len(outbox) == 1
    email = outbox[0].read_text()
    assert f"http://handoff.test/appointments/{body['id']}" in email
    assert "Jo Bloggs" not in email  # a link, never the resident's details


async def test_second_booking_of_same_slot_is_refused(client: Any, workers: dict[str, int], db: Any) -> None:
    slot = (await slots_of(client, workers["amina"], "food_fuel"))[0]
    assert (await book(client, workers["amina"], slot["start"])).status == 201
    second = await book(client, workers["amina"], slot["start"])
    assert second.status == 409
    assert (await second.json())["error"] == "slot_taken"
    assert await count_bookings(db) == 1


async def test_booked_slot_is_no_longer_offered(client: Any, workers: dict[str, int]) -> None:
    first = (await slots_of(client, workers["amina"], "food_fuel"))[0]
    await book(client, workers["amina"], first["start"])
    assert first not in await slots_of(client, workers["amina"], "food_fuel")


async def test_repeated_idempotency_key_returns_the_same_booking(client: Any, workers: dict[str, int], db: Any) -> None:
    slot = (await slots_of(client, workers["amina"], "food_fuel"))[0]
    first = await book(client, workers["amina"], slot["start"], idempotency_key="key-1", conversation_id="c1")
    again = await book(client, workers["amina"], slot["start"], idempotency_key="key-1", conversation_id="c1")
    assert (first.status, again.status) == (201, 200)
    assert (await first.json()) == (await again.json())
    assert await count_bookings(db) == 1


async def test_booking_a_time_that_is_not_a_slot_is_invalid(client: Any, workers: dict[str, int], db: Any) -> None:
    slot = (await slots_of(client, workers["amina"], "food_fuel"))[0]
    start = dt.datetime.fromisoformat(slot["start"]) + dt.timedelta(minutes=20)
    response = await book(client, workers["amina"], start.isoformat())
    assert response.status == 422
    assert (await response.json())["field"] == "start"
    assert await count_bookings(db) == 0


async def test_booking_in_the_past_is_invalid(client: Any, workers: dict[str, int], db: Any) -> None:
    response = await book(client, workers["amina"], "2020-01-06T09:00:00+00:00")
    body = await response.json()
    assert response.status == 422 and body["error"] == "invalid" and "past" in body["detail"]
    assert await count_bookings(db) == 0


async def test_booking_an_unknown_worker_is_not_found(client: Any, db: Any) -> None:
    response = await book(client, 9999, "2030-01-07T09:00:00+00:00")
    assert response.status == 404
    assert (await response.json())["error"] == "not_found"
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(Resident)) == 0


async def test_mode_the_worker_does_not_offer_is_invalid(client: Any, workers: dict[str, int]) -> None:
    slot = (await slots_of(client, workers["daniel"], "substance_use"))[0]
    response = await book(client, workers["daniel"], slot["start"], mode="face_to_face")
    assert response.status == 422
    assert (await response.json())["field"] == "mode"


async def test_cancel_frees_the_slot(client: Any, workers: dict[str, int], settings: Any, job_runner: Any) -> None:
    slot = (await slots_of(client, workers["amina"], "food_fuel"))[0]
    booking = await (await book(client, workers["amina"], slot["start"])).json()
    cancelled = await client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=AUTH)
    assert cancelled.status == 200
    assert (await cancelled.json())["status"] == "cancelled"
    again = await client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=AUTH)
    assert again.status == 200 and (await again.json())["status"] == "cancelled"
    assert slot in await slots_of(client, workers["amina"], "food_fuel")
    assert (await book(client, workers["amina"], slot["start"])).status == 201
    await job_runner.run_until_idle()
    subjects = sorted(p.read_text().split("Subject: ")[1].splitlines()[0] for p in (settings.data_dir / "outbox").glob("*.eml"))
    assert subjects == ["Appointment cancelled", "New appointment booked", "New appointment booked"]


async def test_move_changes_the_time_and_frees_the_old_slot(client: Any, workers: dict[str, int]) -> None:
    first, second = (await slots_of(client, workers["amina"], "food_fuel"))[:2]
    booking = await (await book(client, workers["amina"], first["start"])).json()
    moved = await client.post(f"/api/v1/bookings/{booking['id']}/move", json={"start": second["start"]}, headers=AUTH)
    assert moved.status == 200
    body = await moved.json()
    assert (body["id"], body["start"], body["status"]) == (booking["id"], second["start"], "moved")
    offered = await slots_of(client, workers["amina"], "food_fuel")
    assert first in offered and second not in offered


async def test_move_onto_a_taken_slot_is_a_conflict(client: Any, workers: dict[str, int]) -> None:
    first, second = (await slots_of(client, workers["amina"], "food_fuel"))[:2]
    mine = await (await book(client, workers["amina"], first["start"])).json()
    await book(client, workers["amina"], second["start"])
    moved = await client.post(f"/api/v1/bookings/{mine['id']}/move", json={"start": second["start"]}, headers=AUTH)
    assert moved.status == 409
    assert (await moved.json())["error"] == "slot_taken"


async def test_move_to_a_time_that_is_not_a_slot_is_invalid(client: Any, workers: dict[str, int]) -> None:
    first = (await slots_of(client, workers["amina"], "food_fuel"))[0]
    mine = await (await book(client, workers["amina"], first["start"])).json()
    moved = await client.post(f"/api/v1/bookings/{mine['id']}/move", json={"start": "2020-01-06T09:00:00+00:00"}, headers=AUTH)
    assert moved.status == 422


async def test_unknown_booking_cannot_be_cancelled(client: Any) -> None:
    response = await client.post("/api/v1/bookings/424242/cancel", headers=AUTH)
    assert response.status == 404
    assert (await response.json())["error"] == "not_found"


async def test_upcoming_returns_the_soonest_active_booking(client: Any, workers: dict[str, int]) -> None:
    first, second = (await slots_of(client, workers["amina"], "food_fuel"))[:2]
    resident = {"identity": "sender-7", "name": "Jo", "safe_contact": "text only"}
    later = await (await book(client, workers["amina"], second["start"], resident=resident)).json()
    sooner = await (await book(client, workers["amina"], first["start"], resident=resident)).json()
    await client.post(f"/api/v1/bookings/{sooner['id']}/cancel", headers=AUTH)
    response = await client.get("/api/v1/residents/upcoming", params={"channel": "rest", "identity": "sender-7"}, headers=AUTH)
    body = await response.json()
    assert body["booking"]["id"] == later["id"]
    assert body["resident"]["previous_worker_id"] == workers["amina"]
    assert body["resident"]["safe_contact"] == "text only"


async def test_upcoming_for_an_unknown_resident_is_empty(client: Any) -> None:
    response = await client.get("/api/v1/residents/upcoming", params={"channel": "rest", "identity": "nobody"}, headers=AUTH)
    assert response.status == 200
    assert await response.json() == {"booking": None, "resident": None}


async def test_concurrent_bookings_of_one_slot_give_one_201_and_one_409(
    client: Any, workers: dict[str, int], settings: Any, db: Any
) -> None:
    """Two requests on two connections at once: the database's unique index picks the winner.

    On PostgreSQL both transactions really overlap; SQLite serialises writers, so there the
    loser is refused by the same index after the winner commits.
    """
    slot = (await slots_of(client, workers["grace"], "immigration"))[0]
    responses = await asyncio.gather(
        *(book(client, workers["grace"], slot["start"], resident={"identity": f"racer-{i}"}) for i in range(2))
    )
    assert sorted(r.status for r in responses) == [201, 409]
    assert await count_bookings(db) == 1
