"""Worker web app: login, CSRF, who may read which summary, the audit trail, admin hours, calendar."""
from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
from sqlalchemy import func, select

from handoff.models import AuditEntry, AvailabilityException, HandoffNote, WeeklyAvailability, Worker

from handoff_helpers import AUTH, DEMO_PASSWORD, book, csrf_from, login, slots_of


async def booked_handoff(client: Any, worker_id: int, need: str, conversation_id: str = "conv-w", **extra: Any) -> int:
    """A booking with `worker_id` and its summary; returns the handoff id."""
    slot = (await slots_of(client, worker_id, need))[0]
    booking = await (await book(client, worker_id, slot["start"], conversation_id=conversation_id)).json()
    body = {
        "conversation_id": conversation_id,
        "presenting_issue": "debt",
        "needs": [{"id": need, "in_their_words": ["I can't keep up with the bills"]}],
        "priority_need": need,
        "in_their_words": ["It all started when my hours were cut"],
        "what_they_want": "A plan I can stick to",
        "resident": {"name": "Jo Bloggs", "preferred_contact": "sms", "safe_contact": "Text only, never call"},
        "consent": {"share_with_worker": True},
        "booking_id": booking["id"],
        **extra,
    }
    response = await client.post("/api/v1/handoffs", json=body, headers=AUTH)
    assert response.status == 201
    return (await response.json())["id"]


async def audit_rows(db: Any) -> list[tuple[int | None, int | None, str, bool]]:
    async with db() as session:
        rows = await session.execute(
            select(AuditEntry.worker_id, AuditEntry.handoff_id, AuditEntry.action, AuditEntry.allowed)
            .where(AuditEntry.worker_id.is_not(None))
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows.all()]


async def test_login_sets_an_httponly_lax_session_and_shows_appointments(client: Any) -> None:
    response = await login(client, "amina@example.org")
    assert response.status == 302 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = await client.get("/")
    assert home.status == 200
    assert "My appointments" in await home.text()


async def test_wrong_password_is_refused(client: Any) -> None:
    response = await login(client, "amina@example.org", "wrong-password")
    assert response.status == 401
    assert "do not match" in await response.text()
    assert (await client.get("/", allow_redirects=False)).status == 302


async def test_pages_need_login(client: Any) -> None:
    response = await client.get("/handoffs/1", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"].startswith("/login")


async def test_logout_ends_the_session(client: Any) -> None:
    await login(client, "amina@example.org")
    token = csrf_from(await (await client.get("/")).text())
    response = await client.post("/logout", data={"csrf_token": token}, allow_redirects=False)
    assert response.status == 302
    assert (await client.get("/", allow_redirects=False)).status == 302


async def test_post_without_csrf_token_is_forbidden(client: Any, workers: dict[str, int], db: Any) -> None:
    handoff_id = await booked_handoff(client, workers["amina"], "food_fuel")
    await login(client, "amina@example.org")
    response = await client.post(f"/handoffs/{handoff_id}/notes", data={"kind": "note", "text": "hi", "csrf_token": "forged"})
    assert response.status == 403
    missing = await client.post("/logout", data={})
    assert missing.status == 403
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(HandoffNote)) == 0


async def test_login_form_needs_its_csrf_token(client: Any) -> None:
    await client.get("/login")
    response = await client.post("/login", data={"email": "amina@example.org", "password": DEMO_PASSWORD})
    assert response.status == 403


async def test_worker_reads_own_handoff_and_every_read_is_audited(client: Any, workers: dict[str, int], db: Any) -> None:
    handoff_id = await booked_handoff(client, workers["amina"], "food_fuel")
    await login(client, "amina@example.org")
    page = await client.get(f"/handoffs/{handoff_id}")
    assert page.status == 200
    html = await page.text()
    assert "Jo Bloggs" in html and "Text only, never call" in html and "I can&#39;t keep up with the bills" in html
    assert page.headers["Cache-Control"] == "no-store"
    await client.get(f"/handoffs/{handoff_id}")
    rows = await audit_rows(db)
    assert rows == [(workers["amina"], handoff_id, "view", True)] * 2


async def test_other_workers_handoff_is_forbidden_and_audited(client: Any, workers: dict[str, int], db: Any) -> None:
    handoff_id = await booked_handoff(client, workers["amina"], "food_fuel")
    await login(client, "tomasz@example.org")
    page = await client.get(f"/handoffs/{handoff_id}")
    assert page.status == 403
    html = await page.text()
    assert "Jo Bloggs" not in html and "bills" not in html
    assert await audit_rows(db) == [(workers["tomasz"], handoff_id, "view", False)]
    async with db() as session:
        contents = (await session.scalars(select(AuditEntry.action))).all()
    assert all("Jo" not in action for action in contents)


async def test_duty_worker_sees_urgent_alert_and_can_open_it(client: Any, workers: dict[str, int]) -> None:
    raised = await client.post(
        "/api/v1/urgent", json={"conversation_id": "conv-u", "risks": ["harm_from_others"], "callback_requested": True}, headers=AUTH
    )
    handoff_id = (await raised.json())["handoff_id"]
    await login(client, "fatima@example.org")
    home = await (await client.get("/")).text()
    assert "Urgent: call back today" in home and f"/handoffs/{handoff_id}" in home
    page = await client.get(f"/handoffs/{handoff_id}")
    assert page.status == 200
    assert "in danger from someone now" in await page.text()


async def test_mark_as_read_and_add_a_note(client: Any, workers: dict[str, int], db: Any) -> None:
    handoff_id = await booked_handoff(client, workers["amina"], "food_fuel")
    await login(client, "amina@example.org")
    token = csrf_from(await (await client.get(f"/handoffs/{handoff_id}")).text())
    read = await client.post(f"/handoffs/{handoff_id}/read", data={"csrf_token": token})
    assert read.status == 200 and 'id="read-status"' in await read.text()
    noted = await client.post(
        f"/handoffs/{handoff_id}/notes", data={"csrf_token": token, "kind": "outcome", "text": "Budget plan agreed"}
    )
    assert noted.status == 200 and "Budget plan agreed" in await noted.text()
    empty = await client.post(f"/handoffs/{handoff_id}/notes", data={"csrf_token": token, "kind": "note", "text": "  "})
    assert empty.status == 422
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(HandoffNote)) == 1
    actions = [row[2] for row in await audit_rows(db)]
    assert "mark_read" in actions and "add_note" in actions


async def test_email_link_to_an_appointment_lands_on_its_summary(client: Any, workers: dict[str, int]) -> None:
    handoff_id = await booked_handoff(client, workers["amina"], "food_fuel")
    async with client.session.get(client.make_url("/api/v1/handoffs"), params={"conversation_id": "conv-w"}, headers=AUTH) as r:
        booking_id = (await r.json())[0]["booking_id"]
    await login(client, "amina@example.org")
    response = await client.get(f"/appointments/{booking_id}", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == f"/handoffs/{handoff_id}"


async def test_calendar_feed_has_times_but_nothing_sensitive(client: Any, workers: dict[str, int], db: Any) -> None:
    await booked_handoff(client, workers["amina"], "food_fuel")
    async with db() as session:
        secret = await session.scalar(select(Worker.calendar_secret).where(Worker.id == workers["amina"]))
    response = await client.get(f"/calendar/{secret}.ics")
    assert response.status == 200 and response.content_type == "text/calendar"
    body = await response.read()
    calendar = icalendar.Calendar.from_ical(body)
    [event] = list(calendar.walk("VEVENT"))
    assert str(event["SUMMARY"]) == "Appointment (phone)"
    assert event.decoded("DTSTART").tzinfo is not None
    text = body.decode()
    for secret_detail in ("Jo", "Bloggs", "food", "bills", "never call"):
        assert secret_detail not in text
    assert (await client.get("/calendar/not-a-secret.ics")).status == 404


async def admin_form(client: Any, worker_id: int) -> str:
    await login(client, "sam@example.org")
    page = await client.get(f"/admin/workers/{worker_id}/availability")
    assert page.status == 200
    return csrf_from(await page.text())


async def count_hours(db: Any, worker_id: int) -> tuple[int, int]:
    async with db() as session:
        weekly = await session.scalar(
            select(func.count()).select_from(WeeklyAvailability).where(WeeklyAvailability.worker_id == worker_id)
        )
        exceptions = await session.scalar(
            select(func.count()).select_from(AvailabilityException).where(AvailabilityException.worker_id == worker_id)
        )
    return weekly, exceptions


async def test_admin_adds_weekly_hours(client: Any, workers: dict[str, int], db: Any) -> None:
    token = await admin_form(client, workers["amina"])
    response = await client.post(
        f"/admin/workers/{workers['amina']}/availability",
        data={"csrf_token": token, "weekday": "5", "start": "10:00", "end": "12:00", "slot_minutes": "30"},
    )
    assert response.status == 200
    assert await count_hours(db, workers["amina"]) == (6, 0)


async def test_overlapping_weekly_hours_are_refused_with_nothing_written(client: Any, workers: dict[str, int], db: Any) -> None:
    token = await admin_form(client, workers["amina"])
    overlap = await client.post(
        f"/admin/workers/{workers['amina']}/availability",
        data={"csrf_token": token, "weekday": "0", "start": "16:00", "end": "18:00", "slot_minutes": "60"},
    )
    backwards = await client.post(
        f"/admin/workers/{workers['amina']}/availability",
        data={"csrf_token": token, "weekday": "6", "start": "12:00", "end": "10:00", "slot_minutes": "60"},
    )
    assert (overlap.status, backwards.status) == (422, 422)
    assert "overlap" in await overlap.text()
    assert "end time must be after the start time" in await backwards.text()
    assert await count_hours(db, workers["amina"]) == (5, 0)


async def test_past_exception_is_refused_and_future_day_off_removes_slots(
    client: Any, workers: dict[str, int], db: Any
) -> None:
    token = await admin_form(client, workers["amina"])
    past = await client.post(
        f"/admin/workers/{workers['amina']}/exceptions", data={"csrf_token": token, "day": "2020-01-01", "kind": "off"}
    )
    assert past.status == 422 and "in the past" in await past.text()
    assert await count_hours(db, workers["amina"]) == (5, 0)
    first = (await slots_of(client, workers["amina"], "food_fuel"))[0]
    day = dt.datetime.fromisoformat(first["start"]).astimezone(dt.timezone.utc).date().isoformat()
    off = await client.post(
        f"/admin/workers/{workers['amina']}/exceptions", data={"csrf_token": token, "day": day, "kind": "off"}
    )
    assert off.status == 200
    assert all(not s["start"].startswith(day) for s in await slots_of(client, workers["amina"], "food_fuel"))


async def test_admin_creates_and_deactivates_a_worker(client: Any, db: Any) -> None:
    await login(client, "sam@example.org")
    token = csrf_from(await (await client.get("/admin/workers")).text())
    created = await client.post(
        "/admin/workers",
        data={"csrf_token": token, "name": "Lee Chan", "email": "lee@example.org", "password": "a-long-password-1",
              "languages": "en, zh", "needs": ["benefits"], "modes": ["phone"]},
    )
    assert created.status == 200 and "lee@example.org" in await created.text()
    duplicate = await client.post(
        "/admin/workers",
        data={"csrf_token": token, "name": "Lee Again", "email": "lee@example.org", "password": "a-long-password-1"},
    )
    assert duplicate.status == 422 and "already exists" in await duplicate.text()
    async with db() as session:
        lee = await session.scalar(select(Worker).where(Worker.email == "lee@example.org"))
    assert lee.languages == ["en", "zh"] and lee.needs == ["benefits"]
    await client.post(f"/admin/workers/{lee.id}/active", data={"csrf_token": token, "active": "0"})
    async with db() as session:
        assert (await session.get(Worker, lee.id)).active is False


async def test_non_admin_cannot_open_admin_pages(client: Any) -> None:
    await login(client, "amina@example.org")
    assert (await client.get("/admin/workers")).status == 403
