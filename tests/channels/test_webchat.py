"""Web chat: page, widget, the REST-style webhook contract, errors and CORS."""
from __future__ import annotations

import json

import aiohttp
import pytest

from bot.channels.webchat import WebChatInput

SENDER = "3f1c2a9e-0d1b-4c55-9a51-2d4f0c1e7b21"


async def request(method, url, **kwargs):
    async with aiohttp.ClientSession() as http:
        async with http.request(method, url, allow_redirects=False, **kwargs) as response:
            body = await response.read()
            return response.status, response.headers, body


async def test_page_widget_and_assets_are_served_from_our_own_server(serve):
    served = await serve(WebChatInput())
    status, headers, body = await request("GET", served.url("/webhooks/webchat/"))
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'src="chat.js"' in body and b"https://" not in body  # no CDN, no external fonts
    assert "script-src 'self'" in headers["Content-Security-Policy"]

    status, headers, _ = await request("GET", served.url("/webhooks/webchat"))
    assert status == 302 and headers["Location"].endswith("/webhooks/webchat/")

    status, headers, body = await request("GET", served.url("/webhooks/webchat/widget.js"))
    assert status == 200 and headers["Content-Type"].startswith("application/javascript")
    script = body.decode()
    assert "TriageChat" in script and "attachShadow" in script and "/request_human" in script
    assert "tel:999" in script and "tel:116123" in script
    for asset in ("chat.js", "chat.css", "widget-demo.html"):
        status, _, body = await request("GET", served.url(f"/webhooks/webchat/{asset}"))
        assert status == 200 and b"fonts.googleapis" not in body and b"cdn" not in body.lower()
    status, _, _ = await request("GET", served.url("/webhooks/webchat/../channels/webchat.py"))
    assert status == 404


async def test_webhook_contract(serve):
    served = await serve(WebChatInput())
    served.bot.script["hi"] = [{"text": "Hello", "buttons": [{"title": "Yes", "payload": "/affirm"}]}]
    status, _, body = await request("POST", served.url("/webhooks/webchat/webhook"),
                                    json={"sender": SENDER, "message": "hi"})
    assert status == 200

    assert json.loads(body) == [{"recipient_id": SENDER, "text": "Hello",
                                 "buttons": [{"title": "Yes", "payload": "/affirm"}]}]
    message = served.bot.received[0]
    assert (message.sender_id, message.input_channel) == (SENDER, "webchat")


@pytest.mark.parametrize("payload,status,error", [
    ("not json", 400, "invalid_json"),
    ([1, 2], 400, "invalid_json"),
    ({"sender": SENDER}, 422, "invalid_message"),
    ({"sender": SENDER, "message": "   "}, 422, "invalid_message"),
    ({"sender": "whatsapp:+447700900123", "message": "hi"}, 422, "invalid_sender"),
    ({"sender": "short", "message": "hi"}, 422, "invalid_sender"),
    ({"sender": SENDER, "message": "x" * 2001}, 413, "message_too_long"),
])
async def test_bad_input_gets_a_clear_json_error(serve, payload, status, error):
    served = await serve(WebChatInput())
    kwargs = {"data": payload, "headers": {"Content-Type": "application/json"}} if isinstance(payload, str) \
        else {"json": payload}
    got, headers, body = await request("POST", served.url("/webhooks/webchat/webhook"), **kwargs)

    assert got == status and headers["Content-Type"].startswith("application/json")
    assert json.loads(body)["error"] == error and json.loads(body)["detail"]
    assert served.bot.received == []


async def test_cors_for_allowed_origins_only(serve, monkeypatch):
    monkeypatch.setenv("WEBCHAT_ALLOWED_ORIGINS", "https://www.example.org, https://example.org/")
    served = await serve(WebChatInput())
    url = served.url("/webhooks/webchat/webhook")
    preflight = {"Origin": "https://www.example.org", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"}
    status, headers, _ = await request("OPTIONS", url, headers=preflight)
    assert status in (200, 204)
    assert headers["Access-Control-Allow-Origin"] == "https://www.example.org"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "content-type" in headers["Access-Control-Allow-Headers"].lower()

    status, headers, _ = await request("POST", url, json={"sender": SENDER, "message": "hi"},
                                       headers={"Origin": "https://example.org"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://example.org"

    status, headers, _ = await request("OPTIONS", url, headers=dict(preflight, Origin="https://evil.example.com"))
    assert "Access-Control-Allow-Origin" not in headers
    status, headers, _ = await request("POST", url, json={"sender": SENDER, "message": "hi"},
                                       headers={"Origin": "https://evil.example.com"})
    assert status == 403 and "Access-Control-Allow-Origin" not in headers
    assert served.bot.texts == ["hi"]


async def test_by_default_only_the_same_origin(serve, monkeypatch):
    monkeypatch.delenv("WEBCHAT_ALLOWED_ORIGINS", raising=False)
    served = await serve(WebChatInput())
    url = served.url("/webhooks/webchat/webhook")
    status, _, _ = await request("POST", url, json={"sender": SENDER, "message": "hi"},
                                 headers={"Origin": served.base})
    assert status == 200
    status, _, _ = await request("POST", url, json={"sender": SENDER, "message": "hi"},
                                 headers={"Origin": "https://www.example.org"})
    assert status == 403
    assert served.bot.texts == ["hi"]
