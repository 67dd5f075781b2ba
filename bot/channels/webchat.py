"""Resident web chat: the page, the embeddable widget (served by our own Rasa server, no CDN)
and its message webhook.

    GET     /webhooks/webchat/            the chat page
    GET     /webhooks/webchat/widget.js   the widget: one <script src=".../widget.js"> tag on the
                                          charity's site opens a chat bubble and panel
    GET     /webhooks/webchat/chat.js, chat.css, widget-demo.html   assets (and a demo page)
    GET     /webhooks/webchat/health      {"status": "ok"}
    POST    /webhooks/webchat/webhook     {"sender": ..., "message": ...} -> bot messages (as REST)
    OPTIONS /webhooks/webchat/webhook     CORS preflight

CORS: the widget may post from the origins in WEBCHAT_ALLOWED_ORIGINS (comma-separated, e.g.
"https://www.example.org,https://example.org"; "*" allows any); by default only the same origin.
A browser post from any other origin is refused with 403.
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Set, Text
from urllib.parse import urlparse

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent.parent / "static"
MAX_MESSAGE_CHARS = 2000
# the browser makes its own random id; no ':' or '+', so no one can write into an SMS or
# WhatsApp resident's conversation ("whatsapp:+44...") from the web chat
SENDER_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,100}$")

PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
               "img-src 'self' data:; frame-ancestors 'self'; base-uri 'none'; form-action 'self'")
ASSETS = {
    "chat.js": "application/javascript; charset=utf-8",
    "chat.css": "text/css; charset=utf-8",
    "widget-demo.html": "text/html; charset=utf-8",
}


def allowed_origins() -> Set[str]:
    raw = os.environ.get("WEBCHAT_ALLOWED_ORIGINS", "")
    return {o.strip().rstrip("/").lower() for o in raw.split(",") if o.strip()}


def _same_origin(request: Request, origin: str) -> bool:
    host = (request.headers.get("X-Forwarded-Host") or request.headers.get("Host") or "").lower()
    return bool(host) and urlparse(origin).netloc == host.split(",")[0].strip()


def origin_allowed(request: Request, origin: Optional[str]) -> bool:
    """No Origin header (not a cross-site browser request), the same origin, or a listed one."""
    if not origin:
        return True
    origin = origin.rstrip("/").lower()
    allowed = allowed_origins()
    return "*" in allowed or origin in allowed or _same_origin(request, origin)


class WebChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "webchat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webchat = Blueprint("webchat", __name__)

        @webchat.middleware("response")
        async def cors(request: Request, resp: HTTPResponse) -> None:
            origin = request.headers.get("Origin")
            if not origin or not request.path.endswith("/webhook") or not origin_allowed(request, origin):
                return
            resp.headers["Access-Control-Allow-Origin"] = origin
            resp.headers["Vary"] = "Origin"
            if request.method == "OPTIONS":
                resp.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
                resp.headers["Access-Control-Allow-Headers"] = "Content-Type"
                resp.headers["Access-Control-Max-Age"] = "600"

        @webchat.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):  # relative asset URLs need the trailing slash
                return response.redirect(request.path + "/")
            return await response.file(STATIC / "webchat.html", mime_type="text/html; charset=utf-8",
                                       headers=_page_headers())

        @webchat.route("/widget.js", methods=["GET"])
        async def widget(request: Request) -> HTTPResponse:
            script = (STATIC / "chat.js").read_text("utf-8") + "\n" + (STATIC / "widget.js").read_text("utf-8")
            return response.text(script, content_type="application/javascript; charset=utf-8",
                                 headers={"Cache-Control": "public, max-age=300",
                                          "X-Content-Type-Options": "nosniff"})

        @webchat.route("/<asset:(chat\\.js|chat\\.css|widget-demo\\.html)>", methods=["GET"])
        async def asset(request: Request, asset: str) -> HTTPResponse:
            headers = {"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"}
            if asset.endswith(".html"):
                headers = _page_headers()
            return await response.file(STATIC / asset, mime_type=ASSETS[asset], headers=headers)

        @webchat.route("/health", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webchat.route("/webhook", methods=["OPTIONS"])
        async def preflight(request: Request) -> HTTPResponse:
            return response.empty(status=204)

        @webchat.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not origin_allowed(request, request.headers.get("Origin")):
                return response.json({"error": "origin_not_allowed",
                                      "detail": "This site may not use the chat. Ask us to add it "
                                                "to WEBCHAT_ALLOWED_ORIGINS."}, 403)
            body = _json(request)
            if body is None:
                return response.json({"error": "invalid_json",
                                      "detail": "Send a JSON object with sender and message."}, 400)
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not sender or not isinstance(text, str) or not text.strip():
                return response.json({"error": "invalid_message",
                                      "detail": "Both sender and message must be non-empty strings."}, 422)
            if not SENDER_PATTERN.match(sender):
                return response.json({"error": "invalid_sender",
                                      "detail": "sender must be 8 to 100 letters, digits, '-' or '_'."}, 422)
            if len(text) > MAX_MESSAGE_CHARS:
                return response.json({"error": "message_too_long",
                                      "detail": f"Messages are limited to {MAX_MESSAGE_CHARS} characters."}, 413)
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, sender, input_channel=self.name()))
            except Exception:  # the message text is never logged: it may be sensitive
                logger.exception("web chat message could not be processed")
                return response.json({"error": "unavailable",
                                      "detail": "Sorry, something went wrong. Please try again."}, 503)
            return response.json(collector.messages)

        return webchat


def _page_headers() -> Dict[str, str]:
    return {"Content-Security-Policy": PAGE_POLICY, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


def _json(request: Request) -> Optional[Dict[str, Any]]:
    try:
        body = request.json
    except Exception:  # sanic raises InvalidUsage on malformed JSON
        return None
    return body if isinstance(body, dict) else None
