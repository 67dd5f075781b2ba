"""Erasure of one conversation's tracker events, called by the handoff service (not residents).

    POST /webhooks/privacy/erase   Authorization: Bearer $RASA_ERASE_TOKEN
                                   {"conversation_id": "..."} -> {"erased_events": n}

The handoff service owns "delete my data": it erases its own records first, then calls this
(retrying until it answers 2xx), so one request from a resident, or from their worker, reaches
everything. The erase waits for the conversation's lock, so a turn still being processed (the
one that asked for the erasure) is saved first and then deleted with the rest.
Without RASA_ERASE_TOKEN the endpoint answers 503: it is never open.
"""
from __future__ import annotations

import hmac
import json
import logging
import os
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import privacy

logger = logging.getLogger(__name__)


def _sql_store(store: Any) -> Optional[Any]:
    """Rasa wraps the tracker store (AwaitableTrackerStore, FailSafeTrackerStore)."""
    for _ in range(4):
        if hasattr(store, "engine") and hasattr(store, "SQLEvent"):
            return store
        store = getattr(store, "_tracker_store", None)
        if store is None:
            return None
    return None


class PrivacyInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "privacy"

    @classmethod
    def from_credentials(cls, credentials: Any) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("privacy_webhook", __name__)

        @hook.route("/erase", methods=["POST"])
        async def erase(request: Request) -> HTTPResponse:
            token = os.environ.get("RASA_ERASE_TOKEN", "")
            if not token:
                return response.json({"error": "not_configured",
                                      "detail": "RASA_ERASE_TOKEN is not set."}, status=503)
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode("utf-8"), f"Bearer {token}".encode("utf-8")):
                return response.json({"error": "unauthorised"}, status=401)
            try:
                conversation_id = str((json.loads(request.body or b"{}") or {})["conversation_id"])
            except (ValueError, KeyError, TypeError):
                return response.json({"error": "invalid_request",
                                      "detail": "JSON body with conversation_id required."}, status=400)
            if not conversation_id.strip():
                return response.json({"error": "invalid_request",
                                      "detail": "conversation_id is empty."}, status=400)
            agent = request.app.ctx.agent
            store = _sql_store(agent.tracker_store)
            if store is None:
                return response.json({"error": "unsupported_tracker_store",
                                      "detail": "Erasure needs the SQL tracker store."}, status=501)
            async with agent.lock_store.lock(conversation_id):
                erased = privacy.erase(store.engine, conversation_id)
            logger.info("erased a conversation's tracker: %d event(s)", erased)
            return response.json({"erased_events": erased})

        return hook
