"""A fake handoff service on loopback that records what the actions send, and tracker helpers."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

import pytest
from aiohttp import web
from rasa_sdk import Tracker

TOKEN = "test-service-token"


def future_slots(count: int = 3) -> List[Dict[str, str]]:
    day = (datetime.now(timezone.utc) + timedelta(days=2)).replace(hour=10, minute=0, second=0,
                                                                   microsecond=0)
    return [{"start": (day + timedelta(days=i)).isoformat(),
             "end": (day + timedelta(days=i, hours=1)).isoformat()} for i in range(count)]


BOOKING = {"id": 101, "worker": {"id": 7, "name": "Amina Rahman"},
           "start": "2026-11-24T10:00:00+00:00", "end": "2026-11-24T11:00:00+00:00",
           "mode": "phone", "location": "Community Hub", "status": "booked"}


class FakeHandoff:
    """Answers like the handoff service's API v1; `fail` makes every call a 503."""

    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []
        self.workers = [{"id": 7, "name": "Amina Rahman", "modes": ["phone", "face_to_face"],
                         "intro": "Amina is a money and benefits adviser; she speaks Bengali and English.",
                         "location": "Community Hub", "slots": future_slots()}]
        self.taken: set = set()
        self.fail = False
        self.delay = 0.0  # seconds before answering: a slow service
        self.upcoming = None
        self.erasure = {"erased": {}}
        self.url = ""

    def sent(self, path: str) -> List[Dict[str, Any]]:
        return [r["body"] for r in self.requests if r["path"] == path]

    async def handle(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": "unauthorised"}, status=401)
        body = await request.json() if request.can_read_body else dict(request.query)
        self.requests.append({"path": request.path, "method": request.method, "body": body})
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            return web.json_response({"error": "down"}, status=503)
        if request.path == "/api/v1/match":
            return web.json_response({"workers": self.workers})
        if request.path == "/api/v1/bookings":
            if body["start"] in self.taken:
                return web.json_response({"error": "slot_taken"}, status=409)
            return web.json_response({**BOOKING, "start": body["start"], "mode": body["mode"]},
                                     status=201)
        if request.path == "/api/v1/handoffs":
            return web.json_response({"id": 55, **body}, status=201)
        if request.path == "/api/v1/handoffs/55" and request.method == "PATCH":
            return web.json_response({"id": 55, **body})
        if request.path == "/api/v1/residents/upcoming":
            return web.json_response({"booking": self.upcoming, "resident": None})
        if request.path == "/api/v1/bookings/101/cancel":
            return web.json_response({**BOOKING, "status": "cancelled"})
        if request.path == "/api/v1/bookings/101/move":
            if body["start"] in self.taken:
                return web.json_response({"error": "slot_taken"}, status=409)
            return web.json_response({**BOOKING, "start": body["start"]})
        if request.path == "/api/v1/erasures":
            return web.json_response({"conversation_id": body["conversation_id"], **self.erasure},
                                     status=202)
        if request.path == "/api/v1/urgent":
            return web.json_response({"handoff_id": 55, "duty_worker": {"id": 3, "name": "Duty"}},
                                     status=201)
        return web.json_response({"error": "not_found"}, status=404)


@pytest.fixture
async def handoff(monkeypatch):
    fake = FakeHandoff()
    app = web.Application()

    async def route(request: web.Request) -> web.Response:
        return await fake.handle(request)  # looked up per request: a test may swap it

    app.router.add_route("*", "/{tail:.*}", route)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    fake.url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("HANDOFF_URL", fake.url)
    monkeypatch.setenv("HANDOFF_API_TOKEN", TOKEN)
    monkeypatch.setenv("HANDOFF_TIMEOUT_SECONDS", "2")
    yield fake
    await runner.cleanup()


def tracker(text: str, intent: str, slots: Optional[Dict[str, Any]] = None,
            entities: Optional[List[Dict[str, Any]]] = None,
            events: Optional[List[Dict[str, Any]]] = None, sender: str = "resident-1") -> Tracker:
    """A tracker whose latest message is `text` with `intent`, as Rasa would send it."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.95},
              "entities": entities or []}
    history = list(events or []) + [{"event": "user", "text": text, "parse_data": latest,
                                     "input_channel": "rest"}]
    return Tracker(sender, dict(slots or {}), latest, history, False, None, None, "action_listen")


def need(need_id: str) -> Dict[str, Any]:
    return {"entity": "need", "value": need_id}


def presenting(issue: str) -> Dict[str, Any]:
    return {"entity": "presenting_issue", "value": issue}


def slot_values(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The last value each slot was set to by these events."""
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}
