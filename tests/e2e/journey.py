"""A resident's side of a conversation over the REST channel, for end-to-end tests."""
from __future__ import annotations

from typing import Any, Dict, List

import aiohttp

from bot.stack import Stack


async def say(stack: Stack, sender: str, text: str) -> List[Dict[str, Any]]:
    async with aiohttp.ClientSession() as http:
        async with http.post(stack.url("rasa") + "/webhooks/rest/webhook",
                             json={"sender": sender, "message": text}) as response:
            assert response.status == 200
            return await response.json()


def texts(replies: List[Dict[str, Any]]) -> str:
    return " ".join(r.get("text", "") for r in replies)


def handoff_api(stack: Stack) -> aiohttp.ClientSession:
    """A session that calls the handoff service's API as Rasa's actions do."""
    return aiohttp.ClientSession(headers={"Authorization": f"Bearer {stack.env['HANDOFF_API_TOKEN']}"})


async def handoffs(stack: Stack, sender: str) -> List[Dict[str, Any]]:
    async with handoff_api(stack) as http:
        async with http.get(stack.url("handoff") + "/api/v1/handoffs",
                            params={"conversation_id": sender}) as response:
            assert response.status == 200
            return await response.json()


def button(replies: List[Dict[str, Any]], title: str) -> str:
    """The payload of the button a resident would tap."""
    for reply in replies:
        for b in reply.get("buttons", []):
            if b["title"].lower().startswith(title.lower()):
                return b["payload"]
    raise AssertionError(f"no button {title!r} in {texts(replies)!r}")


async def reach_the_times(stack: Stack, sender: str) -> List[Dict[str, Any]]:
    """A short conversation that asks for a person straight away: returns the offer of times."""
    welcome = await say(stack, sender, "hi im behind on my rent")
    await say(stack, sender, button(welcome, "Yes"))
    await say(stack, sender, "my universal credit was cut and work dried up")
    replies = await say(stack, sender, "can i just talk to a real person")
    offer = await say(stack, sender, button(replies, "Phone"))
    assert "Which of these times" in texts(offer)
    return offer
