"""Two Rasa instances on one PostgreSQL tracker store and the Redis lock store (issue #8).

Several residents each send three messages in a row without waiting for the replies,
alternately to the two instances (as a load balancer would spread them). Every message must be
stored in the tracker exactly once, in the order sent, and each must get a reply.

"In a row" means: the next message leaves once the previous one has reached the bot (it holds a
ticket in the Redis lock store, or has already been answered), never waiting for its reply.
HTTP gives no ordering between two connections to two servers, so this is the strongest order a
resident's phone can promise too.

Runs when DATABASE_URL is a PostgreSQL server and REDIS_URL is set; in CI (CI=true) their
absence is a failure, not a skip.
"""
from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from typing import Any, Dict, Iterator, List

import aiohttp
import pytest

from bot.stack import ROOT, Stack, environment
from tests.conftest import PostgresDatabases, free_port, trained_model

RESIDENTS = 4
MESSAGES = ["Hi, I'm behind on my rent", "/affirm",
            "my universal credit was stopped and I lost my job"]


@pytest.fixture(scope="module")
def scaled_stack(tmp_path_factory) -> Iterator[Stack]:
    database, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not (database.startswith("postgresql") and redis_url):
        reason = "needs DATABASE_URL (PostgreSQL) and REDIS_URL"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI: {reason}")
        pytest.skip(reason)
    databases = PostgresDatabases(database)
    overrides: Dict[str, str] = {
        "DATA_DIR": str(tmp_path_factory.mktemp("scale")),
        "RASA_PORT": free_port(), "ACTIONS_PORT": free_port(), "HANDOFF_PORT": free_port(),
        "HANDOFF_API_TOKEN": uuid.uuid4().hex, "REDIS_URL": redis_url, "LOCK_STORE_TYPE": "",
        "DATABASE_URL": databases.create("scale_handoff"),
        "TRACKER_STORE_URL": databases.create("scale_tracker"),
    }
    running = Stack(env=environment(overrides), model=trained_model(),
                    handoff_python=os.environ.get("HANDOFF_PYTHON",
                                                  str(ROOT / ".venv-handoff/bin/python")),
                    rasa_instances=2, action_instances=2)
    try:
        running.prepare()
        running.start(timeout=400)
        yield running
    finally:
        running.stop()
        databases.drop_all()


async def tickets(redis: Any, stack: Stack, sender: str) -> int:
    """Tickets the lock store holds for a conversation (Rasa's RedisLockStore key layout)."""
    prefix = stack.env.get("LOCK_STORE_KEY_PREFIX", "")
    raw = await redis.get((f"{prefix}:" if prefix else "") + f"lock:{sender}")
    return len(json.loads(raw)["tickets"]) if raw else 0


async def resident(http: aiohttp.ClientSession, redis: Any, stack: Stack, number: int) -> Dict[str, Any]:
    sender = f"scale-{number}-{uuid.uuid4().hex[:8]}"
    rasa = stack.urls("rasa")
    sent: List[asyncio.Task] = []

    async def post(url: str, text: str) -> List[Dict[str, Any]]:
        async with http.post(url + "/webhooks/rest/webhook",
                             json={"sender": sender, "message": text}) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    for k, text in enumerate(MESSAGES):
        sent.append(asyncio.create_task(post(rasa[(number + k) % len(rasa)], text)))
        deadline = time.monotonic() + 60
        # the next message leaves once this one reached the bot, not once it was answered
        while await tickets(redis, stack, sender) + sum(t.done() for t in sent) < len(sent):
            assert time.monotonic() < deadline, f"message {k + 1} of {sender} never reached Rasa"
            await asyncio.sleep(0.01)
    replies = await asyncio.gather(*sent)
    return {"sender": sender, "replies": replies}


async def stored_user_texts(http: aiohttp.ClientSession, url: str, sender: str) -> List[str]:
    async with http.get(f"{url}/conversations/{sender}/tracker",
                        params={"include_events": "ALL"}) as response:
        assert response.status == 200
        tracker = await response.json()
    return [e.get("text") for e in tracker["events"] if e["event"] == "user"]


async def test_three_messages_in_a_row_to_two_instances_are_stored_once_in_order(scaled_stack: Stack):
    import redis.asyncio as aioredis

    stack = scaled_stack
    assert stack.env["LOCK_STORE_TYPE"] == "redis" and len(stack.urls("rasa")) == 2
    redis = aioredis.from_url(stack.env["REDIS_URL"])
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=180)) as http:
            results = await asyncio.gather(*(resident(http, redis, stack, n) for n in range(RESIDENTS)))
            for result in results:
                for text, reply in zip(MESSAGES, result["replies"]):
                    assert reply, f"no reply to {text!r} from {result['sender']}"
                # read back through both instances: they share one tracker store
                for url in stack.urls("rasa"):
                    assert await stored_user_texts(http, url, result["sender"]) == MESSAGES
    finally:
        await redis.close()
