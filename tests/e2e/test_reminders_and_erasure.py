"""Reminders and "delete my data" through the real stack: the handoff service's durable job calls
Rasa, Rasa's rules run the reminder action; an erasure reaches the handoff database and Rasa's
tracker store."""
from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any, Dict, List
from zoneinfo import ZoneInfo

import aiohttp
import sqlalchemy as sa

from bot.stack import Stack
from tests.e2e.journey import button, handoff_api, handoffs, reach_the_times, say, texts


async def book(stack: Stack, sender: str) -> str:
    offer = await reach_the_times(stack, sender)
    confirmed = await say(stack, sender, offer[-1]["buttons"][0]["payload"])
    assert "You're booked in with" in texts(confirmed)
    await say(stack, sender, "skip")  # no other contact details: this chat will do
    assert "will get in touch" in texts(await say(stack, sender, "skip"))  # nor a name
    return (await handoffs(stack, sender))[0]["worker"]["name"].split()[0]


async def tracker_events(stack: Stack, sender: str) -> List[Dict[str, Any]]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{stack.url('rasa')}/conversations/{sender}/tracker") as response:
            assert response.status == 200
            return (await response.json())["events"]


async def eventually(check, seconds: float = 20.0):
    """The handoff service's job runner polls every second: wait for it, within reason."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.5)


async def move_a_week_later(stack: Stack, sender: str) -> int:
    """The first slot offered may be less than a day away (on a Sunday, or late on a weekday), when
    rightly no day-before reminder is made. The same slot a week later always has one; the worker's
    weekly hours repeat in London time, so step a week there (or more weeks, if another test's
    resident was moved there first)."""
    [handoff] = await handoffs(stack, sender)
    booking_id, start = handoff["booking_id"], dt.datetime.fromisoformat(handoff["appointment"]["start"])
    london = ZoneInfo("Europe/London")
    async with handoff_api(stack) as http:
        for weeks in range(1, 6):
            later = (start.astimezone(london) + dt.timedelta(days=7 * weeks)).astimezone(dt.timezone.utc)
            async with http.post(f"{stack.url('handoff')}/api/v1/bookings/{booking_id}/move",
                                 json={"start": later.isoformat()}) as response:
                if response.status != 409:
                    assert response.status == 200, await response.text()
                    return booking_id
    raise AssertionError("no free slot at this time in the next five weeks")


def make_day_before_reminder_due(stack: Stack, booking_id: int) -> int:
    """As if the day before had come: move this booking's reminder job to the past."""
    engine = sa.create_engine(stack.env["DATABASE_URL"])
    try:
        with engine.begin() as db:
            return db.execute(
                sa.text("UPDATE jobs SET run_at = :past WHERE kind = 'reminder' AND status = 'pending' "
                        "AND dedupe_key LIKE :key"),
                {"past": dt.datetime(2000, 1, 1), "key": f"reminder:{booking_id}:day_before:%"},
            ).rowcount
    finally:
        engine.dispose()


async def remind_the_day_before(stack: Stack, sender: str) -> str:
    """Book, then let the handoff service's job send the day-before reminder; the worker's name."""
    worker = await book(stack, sender)
    booking_id = await move_a_week_later(stack, sender)
    assert make_day_before_reminder_due(stack, booking_id) == 1

    async def reminded() -> List[str]:
        return [e.get("text") or "" for e in await tracker_events(stack, sender)
                if e.get("event") == "bot" and "a reminder" in (e.get("text") or "")]

    [reminder] = await eventually(reminded)
    assert f"you're seeing {worker} tomorrow" in reminder and "cancel" in reminder
    return worker


def said_once(replies: List[Dict[str, Any]]) -> List[str]:
    """The reply's texts, checking none is sent twice: after the reminder (run through Rasa's execute
    endpoint, which does not listen) a missing listen once made every reply repeat ten times."""
    said = [r.get("text", "") for r in replies]
    assert len(said) == len(set(said)), said
    return said


async def test_the_day_before_reminder_reaches_the_conversation(stack: Stack):
    sender = f"resident-{uuid.uuid4().hex[:8]}"
    await remind_the_day_before(stack, sender)
    # the resident answers the reminder in plain words, and the conversation knows what they mean
    replies = await say(stack, sender, "I can't make it")
    assert "change the time, or cancel it" in " ".join(said_once(replies))
    assert said_once(await say(stack, sender, "change the time please"))  # and it goes on


async def test_danger_in_answer_to_a_reminder_is_met_by_the_rules(stack: Stack):
    sender = f"resident-{uuid.uuid4().hex[:8]}"
    await remind_the_day_before(stack, sender)
    replies = said_once(await say(stack, sender, "i dont want to be here anymore, ive got pills saved up"))
    assert any("116 123" in text for text in replies), replies  # Samaritans
    # from the rule, not the conversation action: it would come with the action server down too
    actions = [e["name"] for e in await tracker_events(stack, sender) if e.get("event") == "action"]
    assert actions[-4:] == ["utter_risk_suicide_self_harm", "utter_offer_urgent_callback",
                            "action_raise_urgent", "action_listen"], actions[-6:]


async def test_delete_my_data_erases_the_handoff_and_the_conversation(stack: Stack):
    sender = f"resident-{uuid.uuid4().hex[:8]}"
    worker = await book(stack, sender)
    assert await handoffs(stack, sender)

    confirm = await say(stack, sender, "please delete all my data")
    assert f"cancels your appointment with {worker}" in texts(confirm)
    done = await say(stack, sender, button(confirm, "Yes, delete it"))
    assert "Done." in texts(done)

    assert await handoffs(stack, sender) == []  # erased by the time the reply came

    async def forgotten() -> bool:
        events = await tracker_events(stack, sender)
        return not any(e.get("event") in ("user", "bot", "slot") for e in events)

    assert await eventually(forgotten), "the tracker still holds the conversation"
    fresh = await say(stack, sender, "hello")  # a new start, remembering nothing
    assert "Welcome back" not in texts(fresh)
