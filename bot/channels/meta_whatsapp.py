"""WhatsApp through Meta's Cloud API.

    GET  /webhooks/meta_whatsapp/webhook   verification handshake:
         hub.mode=subscribe&hub.verify_token=<META_VERIFY_TOKEN>&hub.challenge=<n> -> <n>
    POST /webhooks/meta_whatsapp/webhook   message notifications, signed with
         X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body with META_APP_SECRET>
    GET  /webhooks/meta_whatsapp/health    {"status": "ok", "configured": true|false}

The webhook answers 200 at once; replies go out through the Graph API
(META_GRAPH_API_BASE_URL/<META_PHONE_NUMBER_ID>/messages) in the background, with interactive
reply buttons (at most 3) or a list (at most 10 rows) for the bot's buttons.
The resident's sender id is "whatsapp:+<wa_id>", the same as through Twilio's WhatsApp.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from typing import Any, Dict, Iterator, List, Optional, Sequence, Text, Tuple

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.formatting import Choice, render_meta_whatsapp
from bot.channels.messaging import (Incoming, MessagingInput, OnNewMessage, env_or, forbidden,
                                    unavailable)
from bot.channels.outbound import Outgoing, RetryPolicy
from bot.channels.store import ChannelStore

logger = logging.getLogger(__name__)

DEFAULT_GRAPH_BASE = "https://graph.facebook.com/v19.0"


def signature_for(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class MetaWhatsAppInput(MessagingInput):
    medium = "whatsapp"

    def __init__(self, app_secret: str = "", verify_token: str = "", access_token: str = "",
                 phone_number_id: str = "", api_base_url: str = DEFAULT_GRAPH_BASE,
                 store: Optional[ChannelStore] = None, policy: Optional[RetryPolicy] = None) -> None:
        super().__init__(store=store, policy=policy)
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.access_token = access_token
        self.phone_number_id = phone_number_id
        self.api_base_url = (api_base_url or DEFAULT_GRAPH_BASE).rstrip("/")

    @classmethod
    def name(cls) -> Text:
        return "meta_whatsapp"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        channel = cls(
            app_secret=env_or(credentials, "app_secret", "META_APP_SECRET"),
            verify_token=env_or(credentials, "verify_token", "META_VERIFY_TOKEN"),
            access_token=env_or(credentials, "access_token", "META_ACCESS_TOKEN"),
            phone_number_id=env_or(credentials, "phone_number_id", "META_PHONE_NUMBER_ID"),
            api_base_url=env_or(credentials, "api_base_url", "META_GRAPH_API_BASE_URL",
                                DEFAULT_GRAPH_BASE),
        )
        if not channel.configured:
            logger.warning("%s: META_APP_SECRET, META_VERIFY_TOKEN, META_ACCESS_TOKEN and "
                           "META_PHONE_NUMBER_ID are not all set; its webhook answers 503 until "
                           "they are", cls.name())
        return channel

    @property
    def configured(self) -> bool:
        return bool(self.app_secret and self.verify_token and self.access_token
                    and self.phone_number_id)

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        hook = Blueprint(f"{self.name()}_webhook", __name__)
        self.drain_on_stop(hook)

        @hook.route("/health", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.configured})

        @hook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not self.configured:
                return unavailable()
            mode = request.args.get("hub.mode", "")
            token = request.args.get("hub.verify_token", "")
            challenge = request.args.get("hub.challenge", "")
            if mode == "subscribe" and challenge and hmac.compare_digest(
                    token.encode("utf-8"), self.verify_token.encode("utf-8")):
                return response.text(challenge)
            logger.warning("%s: verification request with a wrong token refused", self.name())
            return response.json({"error": "verification_failed"}, status=403)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.configured:
                return unavailable()
            body = request.body or b""
            signature = request.headers.get("X-Hub-Signature-256", "")
            if not signature or not hmac.compare_digest(
                    signature.encode("utf-8"), signature_for(self.app_secret, body).encode("utf-8")):
                logger.warning("%s: request with a missing or invalid signature refused", self.name())
                return forbidden()
            try:
                payload = json.loads(body)
            except ValueError:
                return response.json({"error": "invalid_json"}, status=400)
            for incoming in self.parse(payload):
                await self.accept(incoming, on_new_message)
            return response.json({"status": "received"})

        return hook

    def parse(self, payload: Any) -> Iterator[Incoming]:
        """The messages of a notification (delivery statuses and other fields are skipped)."""
        if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
            return
        for entry in payload.get("entry") or []:
            for change in (entry or {}).get("changes") or []:
                value = (change or {}).get("value") or {}
                if change.get("field") != "messages":
                    continue
                number_id = (value.get("metadata") or {}).get("phone_number_id")
                if number_id and number_id != self.phone_number_id:
                    continue  # another number of the same business account
                for message in value.get("messages") or []:
                    incoming = self._incoming(message)
                    if incoming:
                        yield incoming

    def _incoming(self, message: Dict[str, Any]) -> Optional[Incoming]:
        message_id, wa_id = message.get("id"), message.get("from")
        if not message_id or not wa_id:
            return None
        incoming = Incoming(message_id=str(message_id), sender_id=f"whatsapp:+{wa_id}")
        kind = message.get("type")
        if kind == "text":
            incoming.text = str((message.get("text") or {}).get("body") or "")
        elif kind == "interactive":
            interactive = message.get("interactive") or {}
            reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
            incoming.choice_id = reply.get("id")
            incoming.text = str(reply.get("title") or "")
        elif kind == "button":  # a quick-reply button of a template message
            button = message.get("button") or {}
            incoming.choice_id = button.get("payload") or None
            incoming.text = str(button.get("text") or "")
        else:
            incoming.has_media = True
        return incoming

    def template(self, recipient: str, template: Dict[str, Any]) -> Optional[Outgoing]:
        """Meta refuses free text outside the 24-hour customer-service window; an approved
        template named by WHATSAPP_<KIND>_TEMPLATE (e.g. WHATSAPP_REMINDER_TEMPLATE) is sent
        instead, its body variables filled in order. Unset: the text goes as it is."""
        kind = str(template.get("kind") or "").upper()
        name = os.environ.get(f"WHATSAPP_{kind}_TEMPLATE", "").strip()
        if not name:
            logger.warning("%s: WHATSAPP_%s_TEMPLATE is not set; sending free text, which WhatsApp "
                           "refuses more than 24 hours after the resident's last message",
                           self.name(), kind)
            return None
        parameters = [{"type": "text", "text": str(p)} for p in template.get("parameters") or []]
        body = {"type": "template", "template": {
            "name": name,
            "language": {"code": os.environ.get("WHATSAPP_TEMPLATE_LANGUAGE", "en_GB")},
            "components": [{"type": "body", "parameters": parameters}] if parameters else [],
        }}
        return Outgoing(url=f"{self.api_base_url}/{self.phone_number_id}/messages",
                        headers={"Authorization": f"Bearer {self.access_token}"},
                        json=dict({"messaging_product": "whatsapp", "recipient_type": "individual",
                                   "to": recipient.split(":", 1)[-1].lstrip("+")}, **body),
                        describe=f"{kind.lower()} template")

    def render(self, sender_id: str,
               messages: Sequence[Dict[str, Any]]) -> Tuple[List[Outgoing], List[Choice]]:
        bodies, choices = render_meta_whatsapp(messages)
        to = sender_id.split(":", 1)[-1].lstrip("+")
        url = f"{self.api_base_url}/{self.phone_number_id}/messages"
        headers = {"Authorization": f"Bearer {self.access_token}"}
        outgoing = [Outgoing(url=url, headers=headers,
                             json=dict({"messaging_product": "whatsapp", "recipient_type": "individual",
                                        "to": to}, **body),
                             describe=f"reply {i} of {len(bodies)}")
                    for i, body in enumerate(bodies, 1)]
        return outgoing, choices
