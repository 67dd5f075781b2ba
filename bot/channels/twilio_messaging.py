"""SMS and WhatsApp through Twilio.

    POST /webhooks/twilio_sms/webhook        Twilio "A message comes in" for the SMS number
    POST /webhooks/twilio_whatsapp/webhook   the same for the WhatsApp sender
    GET  /webhooks/<name>/health             {"status": "ok", "configured": true|false}

Every request must carry a valid X-Twilio-Signature, computed by Twilio over the exact public
URL (TWILIO_WEBHOOK_BASE_URL + the path, so it works behind a proxy) and the form fields; it is
checked with the Twilio SDK's RequestValidator. The webhook answers with empty TwiML at once;
replies go out through the Messages API (TWILIO_API_BASE_URL) in the background.
Settings (environment, or the same keys lower-cased in credentials.yml): TWILIO_ACCOUNT_SID,
TWILIO_AUTH_TOKEN, TWILIO_SMS_FROM (a number, or a Messaging Service SID "MG..."),
TWILIO_WHATSAPP_FROM ("whatsapp:+44..."), TWILIO_WEBHOOK_BASE_URL, TWILIO_API_BASE_URL.
"""
from __future__ import annotations

import json
import logging
import os
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple
from urllib.parse import parse_qs

import aiohttp
from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from bot.channels.formatting import Choice, render_sms, render_whatsapp_text
from bot.channels.messaging import (Incoming, MessagingInput, OnNewMessage, env_or, forbidden,
                                    unavailable)
from bot.channels.outbound import Outgoing, RetryPolicy
from bot.channels.store import ChannelStore

logger = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
DEFAULT_API_BASE = "https://api.twilio.com"


class _FormParams(dict):
    """Form fields as lists (Twilio signs every value, blank ones included)."""

    def getlist(self, name: str) -> List[str]:
        return self[name]

    def first(self, name: str) -> str:
        values = self.get(name) or [""]
        return values[0]


class TwilioInput(MessagingInput):
    """Shared by the SMS and WhatsApp channels."""

    from_env = "TWILIO_SMS_FROM"

    def __init__(self, account_sid: str = "", auth_token: str = "", from_: str = "",
                 webhook_base_url: str = "", api_base_url: str = DEFAULT_API_BASE,
                 store: Optional[ChannelStore] = None, policy: Optional[RetryPolicy] = None) -> None:
        super().__init__(store=store, policy=policy)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_ = from_
        self.webhook_base_url = webhook_base_url.rstrip("/")
        self.api_base_url = (api_base_url or DEFAULT_API_BASE).rstrip("/")

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        channel = cls(
            account_sid=env_or(credentials, "account_sid", "TWILIO_ACCOUNT_SID"),
            auth_token=env_or(credentials, "auth_token", "TWILIO_AUTH_TOKEN"),
            from_=env_or(credentials, "from", cls.from_env),
            webhook_base_url=env_or(credentials, "webhook_base_url", "TWILIO_WEBHOOK_BASE_URL"),
            api_base_url=env_or(credentials, "api_base_url", "TWILIO_API_BASE_URL", DEFAULT_API_BASE),
        )
        if not channel.configured:
            logger.warning("%s: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and %s are not all set; "
                           "its webhook answers 503 until they are", cls.name(), cls.from_env)
        elif not channel.webhook_base_url:
            logger.warning("%s: TWILIO_WEBHOOK_BASE_URL is not set; signatures are checked "
                           "against the URL this server sees, which fails behind a proxy",
                           cls.name())
        return channel

    @property
    def configured(self) -> bool:
        return bool(self.account_sid and self.auth_token and self.from_)

    def public_url(self, request: Request) -> str:
        if not self.webhook_base_url:
            return request.url
        url = self.webhook_base_url + request.path
        return url + ("?" + request.query_string if request.query_string else "")

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        hook = Blueprint(f"{self.name()}_webhook", __name__)
        self.drain_on_stop(hook)

        @hook.route("/health", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.configured})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.configured:
                return unavailable()
            params = _FormParams(parse_qs(request.body.decode("utf-8", "replace"),
                                          keep_blank_values=True))
            signature = request.headers.get("X-Twilio-Signature", "")
            if not signature or not RequestValidator(self.auth_token).validate(
                    self.public_url(request), params, signature):
                logger.warning("%s: request with a missing or invalid signature refused", self.name())
                return forbidden()
            incoming = self.parse(params)
            if incoming is None:
                return response.json({"error": "invalid_message",
                                      "detail": "MessageSid and From are required."}, status=400)
            await self.accept(incoming, on_new_message)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        return hook

    def parse(self, params: _FormParams) -> Optional[Incoming]:
        message_id = params.first("MessageSid") or params.first("SmsMessageSid")
        sender = params.first("From")
        if not message_id or not sender:
            return None
        button = params.first("ButtonPayload")  # replies to WhatsApp content-template buttons
        return Incoming(message_id=message_id, sender_id=sender, text=params.first("Body"),
                        choice_id=button or None,
                        has_media=params.first("NumMedia") not in ("", "0"))

    def bodies(self, messages: Sequence[Dict[str, Any]]) -> Tuple[List[str], List[Choice]]:
        raise NotImplementedError

    def render(self, sender_id: str,
               messages: Sequence[Dict[str, Any]]) -> Tuple[List[Outgoing], List[Choice]]:
        bodies, choices = self.bodies(messages)
        url = f"{self.api_base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        auth = aiohttp.BasicAuth(self.account_sid, self.auth_token)
        sender_field = "MessagingServiceSid" if self.from_.startswith("MG") else "From"
        outgoing = [Outgoing(url=url, auth=auth,
                             form={"To": sender_id, sender_field: self.from_, "Body": body},
                             describe=f"reply {i} of {len(bodies)}")
                    for i, body in enumerate(bodies, 1)]
        return outgoing, choices


class TwilioSmsInput(TwilioInput):
    medium = "sms"
    from_env = "TWILIO_SMS_FROM"

    @classmethod
    def name(cls) -> Text:
        return "twilio_sms"

    def bodies(self, messages: Sequence[Dict[str, Any]]) -> Tuple[List[str], List[Choice]]:
        return render_sms(messages)


class TwilioWhatsAppInput(TwilioInput):
    medium = "whatsapp"
    from_env = "TWILIO_WHATSAPP_FROM"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.from_ and not self.from_.startswith(("whatsapp:", "MG")):
            self.from_ = "whatsapp:" + self.from_

    @classmethod
    def name(cls) -> Text:
        return "twilio_whatsapp"

    def template(self, recipient: str, template: Dict[str, Any]) -> Optional[Outgoing]:
        """Outside WhatsApp's 24-hour window Twilio needs an approved content template:
        TWILIO_WHATSAPP_<KIND>_CONTENT_SID (e.g. ..._REMINDER_CONTENT_SID), variables "1", "2"...
        Unset: the text goes as it is (delivered only inside the window)."""
        kind = str(template.get("kind") or "").upper()
        content_sid = os.environ.get(f"TWILIO_WHATSAPP_{kind}_CONTENT_SID", "").strip()
        if not content_sid:
            logger.warning("%s: TWILIO_WHATSAPP_%s_CONTENT_SID is not set; sending free text, which "
                           "WhatsApp refuses outside the 24-hour window", self.name(), kind)
            return None
        variables = {str(i): str(p) for i, p in enumerate(template.get("parameters") or [], 1)}
        sender_field = "MessagingServiceSid" if self.from_.startswith("MG") else "From"
        return Outgoing(url=f"{self.api_base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json",
                        auth=aiohttp.BasicAuth(self.account_sid, self.auth_token),
                        form={"To": recipient, sender_field: self.from_, "ContentSid": content_sid,
                              "ContentVariables": json.dumps(variables)},
                        describe=f"{kind.lower()} template")

    def bodies(self, messages: Sequence[Dict[str, Any]]) -> Tuple[List[str], List[Choice]]:
        return render_whatsapp_text(messages)
