"""Repeated deliveries (same MessageSid / wamid) are processed once, across Rasa instances."""
from __future__ import annotations

import logging

from bot.channels.store import ChannelStore

logger = logging.getLogger(__name__)


async def first_delivery(store: ChannelStore, channel: str, message_id: str) -> bool:
    """True if this delivery is the first of `message_id` on `channel` (it is then claimed).

    If the shared store cannot be reached the message is processed anyway: answering a resident
    twice is better than losing what may be a call for help.
    """
    try:
        return await store.claim(channel, message_id)
    except Exception:
        logger.exception("%s: seen-id store unavailable; processing message %s anyway",
                         channel, message_id)
        return True
