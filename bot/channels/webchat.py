"""Resident web chat: the page (served by our own Rasa server, no CDN) and its message webhook.

    GET  /webhooks/webchat/         the chat page
    GET  /webhooks/webchat/health   {"status": "ok"}
    POST /webhooks/webchat/webhook  {"sender": ..., "message": ...} -> bot messages (as REST)
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent.parent / "static"
MAX_MESSAGE_CHARS = 2000


class WebChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "webchat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webchat = Blueprint("webchat", __name__)

        @webchat.route("/", methods=["GET"])
        async def page(request: Request) -> HTTPResponse:
            return await response.file(STATIC / "webchat.html", mime_type="text/html")

        @webchat.route("/health", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webchat.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = _json(request)
            if body is None:
                return response.json({"error": "invalid_json",
                                      "detail": "Send a JSON object with sender and message."}, 400)
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not sender or not isinstance(text, str) or not text.strip():
                return response.json({"error": "invalid_message",
                                      "detail": "Both sender and message must be non-empty strings."}, 422)
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


def _json(request: Request) -> Optional[Dict[str, Any]]:
    try:
        body = request.json
    except Exception:  # sanic raises InvalidUsage on malformed JSON
        return None
    return body if isinstance(body, dict) else None
