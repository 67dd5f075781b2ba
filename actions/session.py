"""A new session (the resident comes back after a while): offer to continue where they left off."""
from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

FINISHED = {None, "new", "booked", "callback"}


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        # carry every slot over: the conversation goes on where it was (domain carries them too,
        # but a custom session start must re-set them itself)
        events += [SlotSet(name, value) for name, value in tracker.current_slot_values().items()
                   if value is not None]
        stage = tracker.get_slot("triage_stage")
        if stage == "booked":
            events.append(SlotSet("returning", True))
        elif stage not in FINISHED and stage != "resume":
            # the conversation action offers to carry on when the first message comes in
            events += [SlotSet("paused_stage", stage), SlotSet("triage_stage", "resume")]
        events.append(ActionExecuted("action_listen"))
        return events
