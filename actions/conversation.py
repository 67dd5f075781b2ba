"""One turn of the conversation: what the resident just said, the slots, and what we say back.

Slot values set earlier in the same turn are read back through `slot()`, so a handler can
build on what another handler decided a moment ago.
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import language
from actions.need import IMPLIED_BY_PRESENTING_ISSUE
from actions.resident import Message

MAX_REPROMPTS = 1  # a question is asked at most twice, never a third time
STORY_SLOTS = ("needs", "in_their_words", "explored_areas", "priority_need", "what_they_want",
               "presenting_issue", "declined_needs", "playbacks")
SESSION_START = "session_start"  # Rasa's own intent for "/session_start"


class Conversation:
    def __init__(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        self.dispatcher = dispatcher
        self.tracker = tracker
        self.message = Message.latest(tracker)
        self.events: List[EventType] = []
        self._slots: Dict[str, Any] = {}

    @property
    def stage(self) -> str:
        return self.slot("triage_stage") or "new"

    def slot(self, name: str) -> Any:
        return self._slots[name] if name in self._slots else self.tracker.get_slot(name)

    def set(self, name: str, value: Any) -> None:
        self._slots[name] = value
        self.events.append(SlotSet(name, value))

    def say(self, response: str, **kwargs: Any) -> None:
        self.dispatcher.utter_message(response=response, **kwargs)

    def absorb(self, not_these: Sequence[str] = ()) -> List[str]:
        """Keep what this message tells us: presenting issue, needs, a short quote. New needs.

        `not_these`: needs the message names but says are fine ("UC is ok, no problem").
        """
        known = list(self.slot("needs") or [])
        issue = self.message.presenting_issue
        heard = [n for n in self.message.needs if n not in not_these]
        if issue and not self.slot("presenting_issue"):
            self.set("presenting_issue", issue)
            implied = IMPLIED_BY_PRESENTING_ISSUE.get(issue)
            if implied:
                heard.insert(0, implied)
        new = [n for n in dict.fromkeys(heard) if n not in known and n not in self.declined_needs]
        if new:
            self.set("needs", known + new)
        spoken = language.mentioned(self.message.text)
        if spoken and spoken != self.slot("language"):
            self.set("language", spoken)
        quote = self.message.quote()
        if quote and self.slot("consent") is not False:
            quote["needs"] = [n for n in quote["needs"] if n not in not_these]
            self.set("in_their_words", list(self.slot("in_their_words") or []) + [quote])
        return new

    @property
    def back_after_a_break(self) -> bool:
        """First message of a new session in a conversation that had earlier sessions.

        Detected here rather than in a custom action_session_start: that action runs before
        every new conversation, and if the action server were down it would take the risk
        rules down with it. Rasa's default session start carries the slots over.
        """
        events = self.tracker.events
        starts = [i for i, e in enumerate(events) if e.get("event") == "session_started"]
        # Rasa's SQL tracker store loads only the current session's events, so an earlier
        # conversation shows in the slots it carried over, not in the events.
        if not starts or self.tracker.get_slot("triage_stage") in (None, "new"):
            return False
        said = [e for e in events[starts[-1]:] if e.get("event") == "user"
                and ((e.get("parse_data") or {}).get("intent") or {}).get("name") != SESSION_START]
        return len(said) == 1  # this message is the first one of the new session

    @property
    def declined_needs(self) -> List[str]:
        """Needs the resident told us we got wrong in the playback: never added back."""
        return list(self.slot("declined_needs") or [])

    def forget_story(self) -> None:
        """Start the story afresh: needs, words, areas asked, choices. Consent and any booking stay."""
        for name in STORY_SLOTS:
            self.set(name, None)

    def move_to(self, stage: str) -> None:
        self.set("triage_stage", stage)
        self.set("reprompts", 0)

    def reprompted_enough(self) -> bool:
        """True once a question has been asked again; otherwise counts this re-ask."""
        count = int(self.slot("reprompts") or 0)
        if count >= MAX_REPROMPTS:
            return True
        self.set("reprompts", count + 1)
        return False
