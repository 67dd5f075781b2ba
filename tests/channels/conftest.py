"""Channel tests: the channel's blueprint on a real Sanic server (random port, configured like
Rasa's, CORS included) with a stub bot, and a fake provider API (aiohttp) that records calls."""
from __future__ import annotations

import asyncio
import json
import socket
import uuid
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import aiohttp
import pytest
from aiohttp import web
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

with warnings.catch_warnings():
    # rasa.server imports apscheduler, which imports the deprecated pkg_resources (third party)
    warnings.simplefilter("ignore", DeprecationWarning)
    import rasa.server

from bot.channels.outbound import RetryPolicy
from bot.channels.store import SQLChannelStore

FAST_RETRIES = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, timeout=5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StubBot:
    """Records each UserMessage and answers from `script` (text -> bot messages)."""

    def __init__(self) -> None:
        self.received: List[UserMessage] = []
        self.script: Dict[str, List[Dict[str, Any]]] = {}
        self.default: Callable[[str], List[Dict[str, Any]]] = lambda text: [{"text": f"You said: {text}"}]
        self.delay = 0.0

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.delay:
            await asyncio.sleep(self.delay)
        for reply in self.script.get(message.text, None) or self.default(message.text):
            await message.output_channel.send_response(message.sender_id, dict(reply))

    @property
    def texts(self) -> List[str]:
        return [m.text for m in self.received]


@dataclass
class Served:
    base: str
    bot: StubBot
    app: Sanic
    server: Any = None

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
async def serve():
    """serve(channel) -> Served: the channel's blueprint at /webhooks/<name>/ with a stub bot."""
    servers = []

    async def start(channel, bot: Optional[StubBot] = None, cors=None) -> Served:
        bot = bot or StubBot()
        app = Sanic(f"channels_test_{uuid.uuid4().hex[:12]}")
        Sanic.test_mode = True  # several apps in one process (sanic keeps its originals to re-touch)
        rasa.server.configure_cors(app, cors)  # as `rasa run` does, without --cors
        app.blueprint(channel.blueprint(bot), url_prefix=f"/webhooks/{channel.url_prefix()}")
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                         access_log=False)
        await server.startup()
        await server.before_start()
        await server.after_start()
        await server.start_serving()
        servers.append(server)
        return Served(f"http://127.0.0.1:{port}", bot, app, server)

    yield start
    for server in servers:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


@dataclass
class FakeProvider:
    """Records every call; `fail_next` answers the next calls with those statuses first."""

    base: str = ""
    calls: List[Dict[str, Any]] = field(default_factory=list)
    fail_next: List[int] = field(default_factory=list)
    slow_next: List[float] = field(default_factory=list)  # seconds to wait before answering
    attempts: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        raw = await request.read()
        if self.slow_next:
            await asyncio.sleep(self.slow_next.pop(0))
        record = {"method": request.method, "path": request.path,
                  "authorization": request.headers.get("Authorization"),
                  "content_type": request.content_type}
        if request.content_type == "application/json":
            record["json"] = json.loads(raw)
        else:
            record["form"] = dict((await request.post()).items())
        if self.fail_next:
            status = self.fail_next.pop(0)
            record["answered"] = status
            self.calls.append(record)
            return web.json_response({"code": 20500, "message": "fake failure"}, status=status)
        record["answered"] = 201
        self.calls.append(record)
        n = len([c for c in self.calls if c["answered"] < 300])
        if "json" in record:
            return web.json_response({"messaging_product": "whatsapp",
                                      "messages": [{"id": f"wamid.OUT{n}"}]})
        return web.json_response({"sid": f"SM{n:032d}"}, status=201)

    @property
    def delivered(self) -> List[Dict[str, Any]]:
        return [c for c in self.calls if c["answered"] < 300]


@pytest.fixture
async def provider():
    fake = FakeProvider()
    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    fake.base = f"http://127.0.0.1:{port}"
    yield fake
    await runner.cleanup()


@pytest.fixture
def store(tmp_path):
    return SQLChannelStore(f"sqlite:///{tmp_path / 'tracker.db'}")


async def post_form(url: str, form: Dict[str, str], headers: Dict[str, str]) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=form, headers=headers) as response:
            await response.read()
            return response
