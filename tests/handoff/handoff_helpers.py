"""Helpers shared by the handoff tests (imported by module name; tests/handoff has no __init__)."""
from __future__ import annotations

import re
import uuid
from typing import Any

from aiohttp import web

TOKEN = "test-service-token"
DEMO_PASSWORD = "demo-password-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def slots_of(client: Any, worker_id: int, need: str, count: int = 3) -> list[dict[str, str]]:
    """Free slots of one worker, as the API offers them."""
    response = await client.post("/api/v1/match", json={"needs": [need], "max_workers": 20, "max_slots": count}, headers=AUTH)
    assert response.status == 200, await response.text()
    for worker in (await response.json())["workers"]:
        if worker["id"] == worker_id:
            return worker["slots"]
    raise AssertionError(f"worker {worker_id} not offered for {need}")


async def book(client: Any, worker_id: int, start: str, **extra: Any) -> Any:
    body = {
        "worker_id": worker_id,
        "start": start,
        "mode": "phone",
        "conversation_id": extra.pop("conversation_id", f"conv-{uuid.uuid4().hex[:8]}"),
        "channel": "rest",
        "resident": extra.pop("resident", {"identity": f"res-{uuid.uuid4().hex[:8]}", "name": "Jo Bloggs"}),
        **extra,
    }
    return await client.post("/api/v1/bookings", json=body, headers=AUTH)


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


async def login(client: Any, email: str, password: str = DEMO_PASSWORD) -> Any:
    page = await client.get("/login")
    token = csrf_from(await page.text())
    return await client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"}, allow_redirects=False
    )


class FakeRasa:
    """Records every request; answers with the queued statuses (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(
            {
                "method": request.method,
                "raw_path": request.raw_path,
                "path": request.path,
                "query": dict(request.query),
                "headers": dict(request.headers),
                "json": await request.json(),
            }
        )
        return web.json_response({}, status=self.statuses.pop(0) if self.statuses else 200)
