"""Asking about danger the model is unsure of, instead of passing over it.

The NLU marks a learned risk too unsure to act on with a `risk_check` entity
(bot/cue_extractor.py). The assistant then asks one plain question ("Can I check something with
you: are you having thoughts of hurting yourself or ending your life?"). An answer that means
danger brings the same risk response, call-back offer and urgent handoff as a clear danger would;
an answer that does not is thanked, and the conversation goes on where it was. Each risk is asked
about at most once in a conversation, and a message that clearly names danger never waits for a
question: the risk rules answer it before this action runs.

Domain needs: the `risk_check` entity, the `pending_risk_check` and `risks_checked` slots, and the
utter_check_* responses below.
"""
from __future__ import annotations

import re
from typing import Optional

from actions import safeguarding
from actions.conversation import Conversation
from bot.taxonomy import RISK_IDS

QUESTIONS = {
    "suicide_self_harm": "utter_check_suicide_self_harm",
    "harm_from_others": "utter_check_harm_from_others",
    "child_at_risk": "utter_check_child_at_risk",
    "homeless_tonight": "utter_check_homeless_tonight",
    "eviction_imminent": "utter_check_eviction_imminent",
    "no_food_or_heating": "utter_check_no_food_or_heating",
}
ALL_CLEAR = "utter_check_all_clear"
# "do you have somewhere safe to sleep tonight?" is asked the way a person would ask it, so
# for that one a "no" is the answer that means danger
DANGER_ON_NO = frozenset({"homeless_tonight"})

# Short answers are read here as well as by the classifier: a one-word "ye" or "nah" must not be
# lost to an unsure intent. An unsure answer ("sometimes", "not sure") counts as danger: the
# response it brings gives lines to call, which costs nothing to someone who is safe.
# ("i have" or "he is" are left to the classifier: "i have food", "he is fine" are no yes)
_YES = re.compile(r"^\W*(?:yes|yeah|yea|yep|yup|ye|yh|ya|y|aye|i am|i do|correct)\b", re.I)
_NO = re.compile(r"^\W*(?:no|nah|nope|na|n|nobody|no one|never|not really|not at all|"
                 r"definitely not)\b", re.I)
_SAFE = re.compile(r"\b(?:i'?m|i am|we'?re|we are|all) (?:ok|okay|fine|safe|good|alright|sorted)\b", re.I)
_UNSURE = re.compile(r"\b(?:maybe|sometimes|some times|kind of|kinda|sort of|sorta|a bit|a little|"
                     r"not sure|unsure|dunno|don'?t know|idk|i think so|probably|possibly|"
                     r"on and off|now and then|at times)\b", re.I)
SHORT_ANSWER = 8  # words; a longer reply that opens with neither yes nor no is a new message


def wanted(turn: Conversation) -> Optional[str]:
    """The risk to ask about for this message, if any: unsure danger not yet asked about, with
    no danger already known for this conversation."""
    risk = turn.message.entity("risk_check")
    if risk not in RISK_IDS or turn.message.risks:
        return None
    if risk in (turn.slot("risks") or []) or risk in (turn.slot("risks_checked") or []):
        return None
    return risk


def ask(turn: Conversation, risk: str) -> None:
    """Keep what the message said, and ask. The stage is not advanced: it waits for the answer."""
    turn.absorb()
    turn.set("risks_checked", list(turn.slot("risks_checked") or []) + [risk])
    turn.set("pending_risk_check", risk)
    turn.say(QUESTIONS[risk])


def means_danger(turn: Conversation, risk: str) -> Optional[bool]:
    """True or False for an answer to the question about `risk`; None for a reply that is not an
    answer to it (the resident has moved on: that message is heard as any other)."""
    text, intent = turn.message.text, turn.message.intent
    short = len(text.split()) <= SHORT_ANSWER
    if short and (_SAFE.search(text) or intent == "skip"):
        return False  # "no i'm fine"; "i'd rather not say" is respected, and the door left open
    if short and _UNSURE.search(text):
        return True
    if _YES.match(text) or (short and intent == "affirm"):
        said_yes = True
    elif _NO.match(text) or (short and intent == "deny"):
        said_yes = False
    else:
        return None
    return said_yes != (risk in DANGER_ON_NO)


async def on_answer(turn: Conversation, risk: str, danger: bool) -> None:
    """Danger: the risk response and call-back offer, as the rules would send them, and the
    handoff is marked urgent. No danger: thanks, and the caller carries on. (The conversation
    action has already cleared `pending_risk_check`: a question is answered once.)"""
    if not danger:
        turn.say(ALL_CLEAR)
        return
    turn.say(f"utter_risk_{risk}")
    turn.say(safeguarding.CALLBACK_OFFER)
    await safeguarding.raise_urgent(turn, [risk])
