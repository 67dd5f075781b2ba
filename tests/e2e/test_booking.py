"""Booking end to end: a returning resident, and the handoff service failing mid-booking."""
from __future__ import annotations

import uuid

from bot.stack import Stack
from tests.e2e.journey import button, handoffs, reach_the_times, say, texts


async def test_a_returning_resident_is_greeted_with_their_appointment(stack: Stack):
    sender = f"resident-{uuid.uuid4().hex[:8]}"
    offer = await reach_the_times(stack, sender)
    confirmed = await say(stack, sender, offer[-1]["buttons"][0]["payload"])
    worker = (await handoffs(stack, sender))[0]["worker"]["name"].split()[0]
    assert f"You're booked in with {worker}" in texts(confirmed)
    name = await say(stack, sender, "skip")  # no contact details: the worker uses this chat
    assert f"what name would you like {worker} to use" in texts(name)
    done = await say(stack, sender, "rather not say")
    assert "will get in touch" in texts(done)

    await say(stack, sender, "/session_start")  # as when they come back another day
    back = await say(stack, sender, "hello")
    assert f"Welcome back. You're seeing {worker}" in texts(back)
    manage = await say(stack, sender, button(back, "About my appointment"))
    assert "keep it, change the time, or cancel" in texts(manage)


async def test_the_booking_lands_once_when_the_handoff_service_was_down(stack: Stack):
    sender = f"resident-{uuid.uuid4().hex[:8]}"
    offer = await reach_the_times(stack, sender)
    first_time = offer[-1]["buttons"][0]["payload"]
    stack.stop_process("handoff")
    try:
        sorry = await say(stack, sender, first_time)
        assert "isn't answering" in texts(sorry) and "Nothing you've told me is lost" in texts(sorry)
    finally:
        stack.restart("handoff")
    confirmed = await say(stack, sender, first_time)  # they tap the same time again
    assert "You're booked in with" in texts(confirmed)
    again = await say(stack, sender, first_time)  # and once more, impatiently
    stored = await handoffs(stack, sender)
    assert len(stored) == 1 and stored[0]["appointment"] is not None
    assert "isn't answering" not in texts(again)
