"""Background work per resident, strictly in order, and provider API calls with retries.

`KeyedWorkers` runs the jobs submitted under one key (a resident) one after another, and jobs of
different keys concurrently. `OutboundQueue` uses it to send replies through a provider's REST
API: 2xx is done; 429, 5xx, timeouts and connection errors are retried with exponential backoff
(honouring Retry-After); other 4xx are given up on. Logs name message ids and status codes only,
never a body, a phone number or a credential.
"""
from __future__ import annotations

import asyncio
import logging
import os
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Deque, Dict, Optional, Set

import aiohttp

logger = logging.getLogger(__name__)

Job = Callable[[], Awaitable[Any]]


class KeyedWorkers:
    def __init__(self, name: str) -> None:
        self.name = name
        self._queues: Dict[str, Deque[Job]] = {}
        self._tasks: Set[asyncio.Task] = set()
        self._idle: Optional[asyncio.Event] = None

    def submit(self, key: str, job: Job) -> None:
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(job)  # the running worker for this key picks it up in order
            return
        self._queues[key] = deque([job])
        task = asyncio.get_running_loop().create_task(self._work(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _work(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                job = queue[0]
                try:
                    await job()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("%s: background job failed", self.name)
                queue.popleft()
        finally:
            self._queues.pop(key, None)

    async def join(self, timeout: float = 30.0) -> None:
        """Wait until every submitted job has run (tests, and a clean shutdown)."""
        async def wait() -> None:
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await asyncio.wait_for(wait(), timeout)

    @property
    def busy(self) -> bool:
        return bool(self._tasks)


@dataclass
class Outgoing:
    """One provider API call. `describe` names what it is in logs (never personal data)."""

    url: str
    form: Optional[Dict[str, str]] = None
    json: Optional[Dict[str, Any]] = None
    auth: Optional[aiohttp.BasicAuth] = None
    headers: Dict[str, str] = field(default_factory=dict)
    check_opt_out: bool = True
    describe: str = "reply"


@dataclass
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    timeout: float = 10.0

    @classmethod
    def from_env(cls) -> "RetryPolicy":
        return cls(attempts=int(os.environ.get("OUTBOUND_MAX_ATTEMPTS", 5)),
                   base_delay=float(os.environ.get("OUTBOUND_RETRY_BASE_SECONDS", 0.5)),
                   timeout=float(os.environ.get("OUTBOUND_TIMEOUT_SECONDS", 10)))

    def delay(self, attempt: int, retry_after: Optional[str] = None) -> float:
        if retry_after:
            try:
                return min(self.max_delay, max(0.0, float(retry_after)))
            except ValueError:
                pass
        return min(self.max_delay, self.base_delay * 2 ** attempt) * (0.5 + random.random() / 2)


class OutboundQueue:
    """Sends `Outgoing` calls per recipient in order, with retries."""

    def __init__(self, channel: str, policy: Optional[RetryPolicy] = None,
                 opted_out: Optional[Callable[[str], Awaitable[bool]]] = None) -> None:
        self.channel = channel
        self.policy = policy or RetryPolicy.from_env()
        self.opted_out = opted_out
        self.workers = KeyedWorkers(f"{channel} outbound")
        self.sent: int = 0
        self.failed: int = 0

    def enqueue(self, recipient: str, outgoing: Outgoing) -> None:
        self.workers.submit(recipient, lambda: self._deliver(recipient, outgoing))

    async def join(self, timeout: float = 30.0) -> None:
        await self.workers.join(timeout)

    async def _deliver(self, recipient: str, outgoing: Outgoing) -> bool:
        if outgoing.check_opt_out and self.opted_out is not None:
            try:
                if await self.opted_out(recipient):
                    logger.info("%s: %s not sent, contact opted out", self.channel, outgoing.describe)
                    return False
            except Exception:
                logger.exception("%s: opt-out store unavailable; %s not sent", self.channel,
                                 outgoing.describe)
                return False
        timeout = aiohttp.ClientTimeout(total=self.policy.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            for attempt in range(self.policy.attempts):
                retry_after: Optional[str] = None
                try:
                    async with http.post(outgoing.url, data=outgoing.form, json=outgoing.json,
                                         auth=outgoing.auth, headers=outgoing.headers) as response:
                        body = await _json_or_none(response)
                        if 200 <= response.status < 300:
                            self.sent += 1
                            logger.info("%s: %s sent as %s", self.channel, outgoing.describe,
                                        _provider_id(body))
                            return True
                        if response.status != 429 and response.status < 500:
                            self.failed += 1
                            logger.error("%s: %s refused (HTTP %s, provider code %s)", self.channel,
                                         outgoing.describe, response.status, _provider_code(body))
                            return False
                        retry_after = response.headers.get("Retry-After")
                        reason = f"HTTP {response.status}"
                except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                    reason = type(error).__name__
                if attempt + 1 < self.policy.attempts:
                    delay = self.policy.delay(attempt, retry_after)
                    logger.warning("%s: %s failed (%s), retry %d in %.1fs", self.channel,
                                   outgoing.describe, reason, attempt + 1, delay)
                    await asyncio.sleep(delay)
            self.failed += 1
            logger.error("%s: %s given up after %d attempts", self.channel, outgoing.describe,
                         self.policy.attempts)
            return False


async def _json_or_none(response: aiohttp.ClientResponse) -> Any:
    try:
        return await response.json(content_type=None)
    except Exception:
        return None


def _provider_id(body: Any) -> str:
    """Twilio: {"sid": "SM..."}; Meta: {"messages": [{"id": "wamid..."}]}."""
    if isinstance(body, dict):
        if isinstance(body.get("sid"), str):
            return body["sid"]
        messages = body.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            return str(messages[0].get("id"))
    return "?"


def _provider_code(body: Any) -> str:
    """Twilio: {"code": 21610}; Meta: {"error": {"code": 131047}} (messages may hold numbers)."""
    if isinstance(body, dict):
        if "code" in body:
            return str(body["code"])
        if isinstance(body.get("error"), dict):
            return str(body["error"].get("code"))
    return "?"
