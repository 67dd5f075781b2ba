"""Danger is met in the same turn, at any point of the conversation, even with the action server down."""
from __future__ import annotations

import uuid

from bot.stack import Stack
from tests.e2e.journey import button, handoffs, reach_the_times, say, texts


async def start_story(stack: Stack, sender: str) -> list:
    welcome = await say(stack, sender, "hi im behind on my rent")
    await say(stack, sender, button(welcome, "Yes"))
    return await say(stack, sender, "my universal credit was cut and work dried up")


async def test_a_risk_in_the_middle_of_the_questions_is_met_at_once_then_we_carry_on(stack: Stack):
    sender = f"resident-{uuid.uuid4().hex[:8]}"
    question = await start_story(stack, sender)
    assert "?" in texts(question)

    replies = await say(stack, sender, "honestly i just want to end it all")
    assert "116 123" in texts(replies) and "999" in texts(replies)
    assert "call you back today" in texts(replies)

    carry_on = await say(stack, sender, button(replies, "No"))
    assert "carry on" in texts(carry_on)
    assert texts(question).split(". ")[-1] in texts(carry_on)  # the same question, asked again

    stored = (await handoffs(stack, sender))[0]
    assert stored["urgent"] is True and "suicide_self_harm" in stored["risks"]


async def test_an_unsure_danger_is_asked_about_and_a_yes_is_met_like_any_danger(stack: Stack):
    sender = f"resident-{uuid.uuid4().hex[:8]}"
    await start_story(stack, sender)
    # Which words a retrained model is unsure about changes with every train, so the unsure
    # reading comes as Rasa's intent-and-entity payload; the cue extractor's side of it is in
    # tests/test_cue_extractor.py, its figures on the blind sets in `make eval`.
    asked = await say(stack, sender, '/inform{"risk_check": "suicide_self_harm"}')
    assert "thoughts of hurting yourself" in texts(asked)
    assert not any(h["urgent"] for h in await handoffs(stack, sender))  # nothing raised on a guess

    replies = await say(stack, sender, button(asked, "Yes"))
    assert "116 123" in texts(replies) and "call you back today" in texts(replies)
    stored = (await handoffs(stack, sender))[0]
    assert stored["urgent"] is True and stored["risks"] == ["suicide_self_harm"]

    carry_on = await say(stack, sender, button(replies, "Yes, please call me"))
    assert "duty worker to call you back today" in texts(carry_on) and "carry on" in texts(carry_on)


async def test_a_risk_in_the_middle_of_booking_is_met_at_once(stack: Stack):
    sender = f"resident-{uuid.uuid4().hex[:8]}"
    await reach_the_times(stack, sender)
    replies = await say(stack, sender, "the bailiffs are coming tomorrow morning to change the locks")
    assert "0808 800 4444" in texts(replies)  # Shelter's helpline
    stored = (await handoffs(stack, sender))[0]
    assert stored["urgent"] is True and "eviction_imminent" in stored["risks"]


async def test_the_risk_response_arrives_with_the_action_server_stopped(stack: Stack):
    sender = f"resident-{uuid.uuid4().hex[:8]}"
    stack.stop_process("actions")
    try:
        replies = await say(stack, sender, "he's hitting me and i'm scared he'll come back tonight")
        assert "0808 2000 247" in texts(replies) and "999" in texts(replies)
        replies = await say(stack, sender, "ive got nowhere to sleep tonight")
        assert "0808 800 4444" in texts(replies)
    finally:
        stack.restart("actions")
