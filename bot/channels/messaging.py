"""What SMS and WhatsApp channels share, whatever the provider.

A provider channel verifies and parses its webhook into `Incoming` messages, answers the
webhook at once, and hands each new message to `MessagingInput.accept`, which (in the
background, strictly in order per resident):
1. answers STOP / START / HELP itself, and drops messages from opted-out contacts;
2. maps a numbered or worded choice (or an interactive reply) to the button's payload;
3. runs the bot (`on_new_message`) with a collecting output channel;
4. renders the bot's turn for the medium, remembers its buttons and queues the replies.
Message text and phone numbers are never logged: logs name channel and message ids only.
"""
from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from sanic import response
from sanic.response import HTTPResponse

from bot.channels import dedupe, optout
from bot.channels.formatting import Choice, match_choice, resolve_choice_id
from bot.channels.outbound import KeyedWorkers, OutboundQueue, Outgoing, RetryPolicy
from bot.channels.store import ChannelStore, default_store

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


@dataclass
class Incoming:
    message_id: str
    sender_id: str            # the resident's channel identity, also Rasa's sender id
    text: str = ""
    choice_id: Optional[str] = None  # an interactive reply's id (a payload or "choice:N")
    has_media: bool = False
    metadata: Dict[str, Any] = field(default_factory=dict)


def env_or(credentials: Optional[Dict[Text, Any]], key: str, env: str, default: str = "") -> str:
    """A value from credentials.yml when given there (e.g. `${VAR}`), else the environment."""
    value = (credentials or {}).get(key)
    if value not in (None, ""):
        return str(value)
    return os.environ.get(env, default)


def unavailable() -> HTTPResponse:
    return response.json({"error": "channel_not_configured",
                          "detail": "This channel has no credentials on this server."}, status=503)


def forbidden() -> HTTPResponse:
    return response.json({"error": "invalid_signature"}, status=403)


class MessagingInput(InputChannel):
    """Base class; subclasses define `name`, `configured`, the blueprint and `outgoing_for`."""

    medium = "sms"  # or "whatsapp" (metadata only)

    def __init__(self, store: Optional[ChannelStore] = None,
                 policy: Optional[RetryPolicy] = None) -> None:
        self._store = store
        self.inbound = KeyedWorkers(f"{self.name()} inbound")
        self.outbound = OutboundQueue(self.name(), policy, opted_out=self._opted_out)

    # ---- provider specifics
    @property
    def configured(self) -> bool:
        raise NotImplementedError

    def render(self, sender_id: str,
               messages: Sequence[Dict[str, Any]]) -> Tuple[List[Outgoing], List[Choice]]:
        """The provider API calls for one bot turn to a resident, and the choices offered."""
        raise NotImplementedError

    def template(self, recipient: str, template: Dict[str, Any]) -> Optional[Outgoing]:
        """A pre-approved template message, for channels that need one to start a conversation
        (WhatsApp, outside the 24-hour window). None: this channel sends the text as it is."""
        return None

    def plain(self, recipient: str, text: str, check_opt_out: bool = True) -> Outgoing:
        """One plain text message (keyword answers, apologies)."""
        outgoing, _ = self.render(recipient, [{"text": text}])
        outgoing[0].check_opt_out = check_opt_out
        return outgoing[0]

    # ---- shared
    @property
    def store(self) -> ChannelStore:
        if self._store is None:
            self._store = default_store()
        return self._store

    async def _opted_out(self, sender_id: str) -> bool:
        return await self.store.is_opted_out(sender_id)

    async def accept(self, incoming: Incoming, on_new_message: OnNewMessage) -> bool:
        """Claim the message id; if new, queue it for processing. False for a repeat delivery."""
        if not await dedupe.first_delivery(self.store, self.name(), incoming.message_id):
            logger.info("%s: repeated delivery of %s ignored", self.name(), incoming.message_id)
            return False
        self.inbound.submit(incoming.sender_id, lambda: self.process(incoming, on_new_message))
        return True

    def send(self, sender_id: str, outgoing: Sequence[Outgoing]) -> None:
        for item in outgoing:
            self.outbound.enqueue(sender_id, item)

    async def process(self, incoming: Incoming, on_new_message: OnNewMessage) -> None:
        sender, mid = incoming.sender_id, incoming.message_id
        word = optout.keyword(incoming.text) if incoming.choice_id is None else None
        if word == "stop":
            await self.store.set_opted_out(sender, True)
            logger.info("%s: %s opted out", self.name(), mid)
            self.send(sender, [self.plain(sender, optout.stopped_text(), check_opt_out=False)])
            return
        if word == "start":
            await self.store.set_opted_out(sender, False)
            logger.info("%s: %s opted back in", self.name(), mid)
            self.send(sender, [self.plain(sender, optout.started_text())])
            return
        if await self.store.is_opted_out(sender):
            logger.info("%s: %s from an opted-out contact not processed", self.name(), mid)
            return
        if word == "help":
            self.send(sender, [self.plain(sender, optout.help_text())])
            return

        text = incoming.text.strip()
        if incoming.choice_id is not None:
            text = resolve_choice_id(incoming.choice_id, await self.store.get_choices(sender)) or text
        elif text:
            text = match_choice(text, await self.store.get_choices(sender)) or text
        if not text:
            self.send(sender, [self.plain(sender, optout.text_only_text())])
            return

        collector = CollectingOutputChannel()
        metadata = dict(incoming.metadata, channel=self.medium)
        try:
            await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(),
                                             message_id=mid, metadata=metadata))
        except Exception:
            logger.exception("%s: message %s could not be processed", self.name(), mid)
            self.send(sender, [self.plain(sender, optout.apology_text())])
            return
        outgoing, choices = self.render(sender, collector.messages)
        await self.store.set_choices(sender, choices)
        self.send(sender, outgoing)
        logger.info("%s: %s answered with %d message(s)", self.name(), mid, len(outgoing))

    async def join(self, timeout: float = 30.0) -> None:
        """Wait for every queued message to be processed and its replies sent."""
        await self.inbound.join(timeout)
        await self.outbound.join(timeout)

    def drain_on_stop(self, hook: Any, timeout: float = 10.0) -> None:
        """On shutdown, give queued messages and replies a few seconds to finish."""

        @hook.listener("before_server_stop")
        async def drain(app: Any, loop: Any) -> None:
            try:
                await self.join(timeout)
            except asyncio.TimeoutError:
                logger.warning("%s: stopping with messages or replies still queued", self.name())

    def get_output_channel(self) -> OutputChannel:
        return ProactiveOutputChannel(self)


class ProactiveOutputChannel(OutputChannel):
    """For messages Rasa sends outside a webhook (e.g. triggered intents, reminders)."""

    def __init__(self, channel: MessagingInput) -> None:
        self.channel = channel

    @classmethod
    def name(cls) -> Text:
        return "messaging_proactive"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        # a reminder may come a day after their last message: WhatsApp then needs a template
        template = (message.get("custom") or {}).get("whatsapp_template")
        sent_as_template = self.channel.template(recipient_id, template) if template else None
        if sent_as_template is not None:
            self.channel.send(recipient_id, [sent_as_template])
            return
        outgoing, choices = self.channel.render(recipient_id, [message])
        if choices:
            await self.channel.store.set_choices(recipient_id, choices)
        self.channel.send(recipient_id, outgoing)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})
