"""A resident in rent arrears, over the REST channel, to a booked named worker and a stored handoff."""
from __future__ import annotations

import re
import uuid
from typing import Any, Dict

import aiohttp

from bot.stack import Stack
from tests.e2e.journey import button, handoffs, say, texts

CONTRACT_FIELDS = {"id", "conversation_id", "channel", "created_at", "presenting_issue", "needs",
                   "priority_need", "urgent", "risks", "in_their_words", "what_they_want",
                   "resident", "consent", "worker", "appointment"}


async def test_rent_arrears_to_a_booked_worker_and_a_stored_handoff(stack: Stack):
    sender = f"resident-{uuid.uuid4().hex[:8]}"
    welcome = await say(stack, sender, "Hi, I'm in rent arrears")
    assert "note down" in texts(welcome)  # consent is asked before anything is kept

    question = await say(stack, sender, button(welcome, "Yes"))
    assert "what's been happening" in texts(question)

    story = "my universal credit got stopped in march and i have been drinking a lot since"
    replies = await say(stack, sender, story)
    assert "I've heard" in texts(replies)
    for _ in range(5):  # a few gentle questions about other areas, then the playback
        if "So it sounds like" in texts(replies):
            break
        replies = await say(stack, sender, "no that's fine")
    # two needs heard: the playback also asks which matters most, and one tap answers both
    assert "So it sounds like" in texts(replies) and "biggest difference" in texts(replies)

    replies = await say(stack, sender, button(replies, "Benefits"))
    assert "What would you most like" in texts(replies)
    replies = await say(stack, sender, "help getting my benefits sorted")
    offer = await say(stack, sender, button(replies, "Phone"))
    assert "book you in with" in texts(offer)
    times = [b for r in offer for b in r.get("buttons", []) if b["title"] != "None of these"]
    assert 1 <= len(times) <= 3

    confirmation = await say(stack, sender, times[0]["payload"])
    assert "You're booked in with" in texts(confirmation)
    name = await say(stack, sender, "07700 900123 but please don't text")
    assert "what name would you like" in texts(name)
    done = await say(stack, sender, "it's Sam")
    assert "will get in touch" in texts(done)

    stored = await handoffs(stack, sender)
    assert len(stored) == 1
    handoff = stored[0]
    assert CONTRACT_FIELDS <= set(handoff)
    assert handoff["conversation_id"] == sender and handoff["channel"] == "rest"
    assert handoff["presenting_issue"] == "rent_arrears"
    assert {"benefits", "substance_use"} <= {n["id"] for n in handoff["needs"]}
    assert handoff["priority_need"] == "benefits"
    assert handoff["what_they_want"] == "help getting my benefits sorted"
    assert handoff["consent"]["share_with_worker"] is True
    assert story in handoff["in_their_words"]
    assert handoff["resident"]["contact"] == "07700900123"
    assert handoff["resident"]["name"] == "Sam"
    assert handoff["worker"]["name"] in texts(confirmation)
    chosen = re.search(r'"slot_choice": "([^"]+)"', times[0]["payload"]).group(1)
    assert handoff["appointment"]["start"][:16] == chosen[:16]
    assert handoff["appointment"]["mode"] == "phone"

    page = await worker_page(stack, handoff)
    assert "universal credit got stopped" in page


async def worker_page(stack: Stack, handoff: Dict[str, Any]) -> str:
    """Log in to the worker app as the booked demo worker and open the handoff."""
    email = handoff["worker"]["name"].split()[0].lower() + "@example.org"
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(stack.url("handoff") + "/login") as response:
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', await response.text()).group(1)
        form = {"email": email, "password": stack.env.get("DEMO_WORKER_PASSWORD", "demo-password"),
                "csrf_token": csrf, "next": "/"}
        async with http.post(stack.url("handoff") + "/login", data=form) as response:
            assert response.status == 200 and "/login" not in str(response.url)
        async with http.get(stack.url("handoff") + f"/handoffs/{handoff['id']}") as response:
            assert response.status == 200
            return await response.text()


async def test_parse_returns_need_ids_as_need_entities(stack: Stack):
    async with aiohttp.ClientSession() as http:
        async with http.post(stack.url("rasa") + "/model/parse",
                             json={"text": "lost my job and the flat is full of mould"}) as response:
            parsed = await response.json()
    needs = {e["value"] for e in parsed["entities"] if e["entity"] == "need"}
    assert {"employment", "housing_conditions"} <= needs
