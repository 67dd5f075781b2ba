"""Running the conversation action on a tracker and reading what it did."""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

from rasa_sdk.executor import CollectingDispatcher

from actions.triage import ActionConverse
from tests.action_server.conftest import slot_values


async def converse(t) -> Tuple[List[str], List[Dict[str, Any]], Dict[str, Any]]:
    """(response names said, the messages, slots set) for one turn."""
    dispatcher = CollectingDispatcher()
    events = await ActionConverse().run(dispatcher, t, {})
    return [m.get("response") for m in dispatcher.messages], dispatcher.messages, slot_values(events)
