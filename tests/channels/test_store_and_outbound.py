"""The shared store (SQL and Redis backends) and the outbound queue on their own."""
from __future__ import annotations

import asyncio
import shutil
import subprocess
import time

import pytest

from bot.channels.outbound import KeyedWorkers, OutboundQueue, Outgoing, RetryPolicy
from bot.channels.store import RedisChannelStore, SQLChannelStore, contact_key

from tests.channels.conftest import free_port


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = shutil.which("redis-server")
    if not server:
        pytest.skip("redis-server not installed")
    port = free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path_factory.mktemp("redis"))],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import socket
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(params=["sql", "redis"])
async def any_store(request, tmp_path):
    if request.param == "sql":
        store = SQLChannelStore(f"sqlite:///{tmp_path / 'tracker.db'}")
        yield store, SQLChannelStore(f"sqlite:///{tmp_path / 'tracker.db'}")
    else:
        url = request.getfixturevalue("redis_url")
        store, other = RedisChannelStore(url), RedisChannelStore(url)
        await store.redis.flushdb()
        yield store, other
        await other.close()
    await store.close()


async def test_claims_are_shared_and_unique(any_store):
    store, other_instance = any_store
    assert await store.claim("twilio_sms", "SM1") is True
    assert await store.claim("twilio_sms", "SM1") is False
    assert await other_instance.claim("twilio_sms", "SM1") is False
    assert await other_instance.claim("meta_whatsapp", "SM1") is True  # ids are per channel
    results = await asyncio.gather(*[store.claim("twilio_sms", "SM2") for _ in range(5)],
                                   *[other_instance.claim("twilio_sms", "SM2") for _ in range(5)])
    assert results.count(True) == 1


async def test_opt_outs_and_choices_are_shared(any_store):
    store, other_instance = any_store
    resident = "+447700900123"
    assert not await store.is_opted_out(resident)
    await store.set_opted_out(resident, True)
    assert await other_instance.is_opted_out(resident)
    await other_instance.set_opted_out(resident, False)
    assert not await store.is_opted_out(resident)

    choices = [{"title": "Yes please", "payload": "/affirm"}]
    await store.set_choices(resident, choices)
    assert await other_instance.get_choices(resident) == choices
    assert not await other_instance.is_opted_out(resident)
    await store.set_choices(resident, [])
    assert await other_instance.get_choices(resident) == []


async def test_no_phone_number_is_stored_in_clear(tmp_path):
    store = SQLChannelStore(f"sqlite:///{tmp_path / 'tracker.db'}")
    await store.set_opted_out("+447700900123", True)
    raw = (tmp_path / "tracker.db").read_bytes()
    assert b"7700900123" not in raw and contact_key("+447700900123").encode() in raw
    await store.close()


async def test_jobs_run_in_order_per_key_and_concurrently_across_keys():
    workers = KeyedWorkers("test")
    done = []

    def job(key, n, delay):
        async def run():
            await asyncio.sleep(delay)
            done.append((key, n))
        return run

    workers.submit("a", job("a", 1, 0.05))
    workers.submit("a", job("a", 2, 0.0))
    workers.submit("b", job("b", 1, 0.0))
    workers.submit("a", job("a", 3, 0.0))
    await workers.join()
    assert [n for k, n in done if k == "a"] == [1, 2, 3]
    assert done[0] == ("b", 1)  # b did not wait for a


async def test_a_timeout_is_retried(provider):
    queue = OutboundQueue("test", RetryPolicy(attempts=3, base_delay=0.01, timeout=0.3))
    provider.slow_next = [1.0]
    queue.enqueue("r", Outgoing(url=provider.base + "/x", json={"n": 1}, check_opt_out=False))
    await queue.join()
    assert queue.sent == 1 and provider.attempts == 2


async def test_gives_up_after_the_last_attempt_and_caps_retry_after(provider):
    queue = OutboundQueue("test", RetryPolicy(attempts=3, base_delay=0.01))
    provider.fail_next = [503, 503, 503]
    queue.enqueue("r", Outgoing(url=provider.base + "/x", form={"Body": "b"}, check_opt_out=False))
    await queue.join()
    assert queue.failed == 1 and queue.sent == 0 and len(provider.calls) == 3
    assert RetryPolicy().delay(0, "2") == 2.0 and RetryPolicy().delay(0, "3600") == 30.0
