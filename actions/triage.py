"""The conversation action: one gentle step at a time, chosen from the stage in `triage_stage`.

The journey (DESIGN.md): welcome and consent; presenting issue; one open question and a short
reflection; a few open questions about areas of life not yet mentioned; playback, correctable;
which need matters most; what they want from the appointment; then booking (actions/booking.py).
Any question can be skipped; "talk to a person" goes straight to booking; nothing is asked a
third time. Safety is not here: risk intents are answered by rules before this action runs; only
a danger the model is unsure of is asked about here (actions/risk_check.py).

Domain needs: the slots and utter_* responses named below and in actions/booking.py.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Union

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import booking, need, privacy, risk_check, safeguarding
from actions.conversation import SESSION_START, Conversation
from bot.taxonomy import risk_of_intent

logger = logging.getLogger(__name__)

(NEW, CONSENT, PRESENTING, STORY, EXPLORE, PLAYBACK, CORRECT, PRIORITY, WANTS) = (
    "new", "consent", "presenting", "story", "explore", "playback", "correct", "priority", "wants")
RESUME = "resume"
# "i dont really handle it, he does all that" reads as "that's all" at 0.37: on a weak reading,
# one more gentle question costs less than a need never heard (they can still say that's all).
SURE_THATS_ALL = 0.6
MAX_AREAS = 3            # targeted area questions; one broader question may follow
SKIPPING = {"skip", "deny", "nothing_else"}
BEFORE_BOOKING = {NEW, CONSENT, PRESENTING, STORY, EXPLORE, PLAYBACK, CORRECT, PRIORITY, WANTS}


class ActionConverse(Action):
    def name(self) -> str:
        return "action_converse"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[str, Any]) -> List[EventType]:
        turn = Conversation(dispatcher, tracker)
        intent = turn.message.intent
        if intent == SESSION_START:
            return []  # a channel starting a fresh session: nothing to say until they write
        if risk_of_intent(intent or ""):
            # The rules answer danger before this action runs. They did not: the message came
            # after an action run from outside with no listen between, where no rule matches and
            # the policy's fallback lands here. Answer it as the rules would.
            turn.say(f"utter_{intent}")
            turn.say(safeguarding.CALLBACK_OFFER)
            turn.absorb()
            await safeguarding.raise_urgent(turn, turn.message.risks)
            return turn.events
        checking = turn.slot("pending_risk_check")
        if checking is not None:
            turn.set("pending_risk_check", None)  # one reply answers it, or it is let go
        if turn.back_after_a_break:
            if turn.stage == booking.BOOKED:
                turn.set("returning", True)
            elif turn.stage not in (NEW, RESUME, booking.CALLBACK):
                turn.set("paused_stage", turn.stage)
                turn.move_to(RESUME)
        if turn.stage == privacy.CONFIRM_ERASE:
            if await privacy.on_confirm(turn):
                return [AllSlotsReset()]  # forgotten here too; the tracker itself goes next
        elif privacy.asks_to_erase(turn.message.text, intent, turn.message.confidence):
            privacy.ask_to_confirm(turn)
        elif safeguarding.answering_callback_offer(tracker) and intent in ("affirm", "deny", "skip"):
            if intent == "affirm":
                delivered = await safeguarding.alert_duty_worker(turn, callback_requested=True)
                turn.say("utter_callback_confirmed" if delivered else "utter_callback_not_delivered")
            turn.say("utter_carry_on")
            await carry_on(turn)
        elif checking is not None and (danger := risk_check.means_danger(turn, checking)) is not None:
            await risk_check.on_answer(turn, checking, danger)
            if not danger:
                await carry_on(turn)
        elif (unsure := risk_check.wanted(turn)) is not None:
            risk_check.ask(turn, unsure)
        elif intent == "bot_challenge":
            turn.say("utter_bot_challenge")
            await ask_again(turn)
        elif booking.has_booking(turn) and booking.change_asked(turn):
            await booking.manage(turn)
        elif intent == "request_human" and turn.stage in BEFORE_BOOKING:
            turn.absorb()  # straight to booking with what is known; no more questions
            turn.say("utter_straight_to_booking")
            await booking.start(turn)
        elif intent == "goodbye" and turn.stage in BEFORE_BOOKING - {NEW}:
            turn.say("utter_goodbye_for_now")
        else:
            await HANDLERS[turn.stage](turn)
        return turn.events


async def carry_on(turn: Conversation) -> None:
    """Back to the journey after an interruption about safety."""
    if turn.stage in (PRESENTING, STORY) and turn.slot("needs"):
        await reflect_and_explore(turn)  # the message that was interrupted told the story
    else:
        await ask_again(turn)


async def ask_again(turn: Conversation) -> None:
    """Ask the current stage's question again (after an interruption)."""
    stage = turn.stage
    if stage == NEW:
        await on_new(turn)
    elif stage == EXPLORE and turn.slot("asking_area"):
        turn.say(f"utter_explore_{turn.slot('asking_area')}")
    elif isinstance(QUESTIONS.get(stage), str):
        turn.say(QUESTIONS[stage])
    elif stage in QUESTIONS:
        await QUESTIONS[stage](turn)
    else:
        await booking.ask_again(turn)


# --- welcome, consent, presenting issue ------------------------------------------------------

async def on_new(turn: Conversation) -> None:
    turn.absorb()
    if await booking.welcome_back(turn):
        return
    turn.say("utter_welcome")
    if turn.slot("consent") is None:
        turn.say("utter_ask_consent")
        turn.move_to(CONSENT)
    else:
        await after_consent(turn)


async def on_consent(turn: Conversation) -> None:
    intent = turn.message.intent
    if intent == "affirm":
        turn.set("consent", True)
        turn.say("utter_consent_given")
    elif intent in ("deny", "skip") or turn.reprompted_enough():
        # unclear twice counts as no: we never keep words without a clear yes
        turn.set("consent", False)
        turn.set("in_their_words", None)
        turn.say("utter_consent_declined")
        turn.absorb()
    else:
        turn.absorb()
        turn.say("utter_ask_consent_again")
        return
    await after_consent(turn)


async def after_consent(turn: Conversation) -> None:
    if turn.slot("needs") and turn.message.tells_something:
        await reflect_and_explore(turn)  # they have already told us plenty
    elif turn.slot("presenting_issue"):
        turn.say("utter_ask_story")
        turn.move_to(STORY)
    else:
        turn.say("utter_ask_presenting_issue")
        turn.move_to(PRESENTING)


async def on_presenting(turn: Conversation) -> None:
    turn.absorb()
    if not turn.slot("presenting_issue"):
        turn.set("presenting_issue", "other")
    if turn.message.intent in SKIPPING:
        turn.say("utter_ask_story_gently")
    else:
        turn.say("utter_ask_story")
    turn.move_to(STORY)


# --- the story, and gentle exploration ----------------------------------------------------------

async def on_story(turn: Conversation) -> None:
    turn.absorb()
    if turn.message.intent in SKIPPING and not turn.slot("needs"):
        turn.say("utter_thats_ok")
    await reflect_and_explore(turn)


async def reflect_and_explore(turn: Conversation) -> None:
    needs = turn.slot("needs") or []
    if needs:
        turn.say("utter_reflect_needs", needs_heard=need.plain_list([need.plain(n) for n in needs]))
    elif turn.message.tells_something:
        turn.say("utter_reflect_nothing_specific")
    turn.move_to(EXPLORE)
    await explore_next(turn)


async def explore_next(turn: Conversation) -> None:
    """Ask about the likeliest area not yet covered, or move on to the playback."""
    asked = list(turn.slot("explored_areas") or [])
    known = turn.slot("needs") or []
    if len(asked) < MAX_AREAS:
        areas = need.areas_to_explore(turn.slot("presenting_issue"), known, asked, limit=1)
        if areas:
            area = areas[0]
            turn.set("explored_areas", asked + [area])
            turn.set("asking_area", area)
            turn.say(f"utter_explore_{area}")
            return
    if "anything_else" not in asked:
        remaining = need.areas_to_explore(turn.slot("presenting_issue"), known, asked, limit=4)
        if remaining:
            turn.set("explored_areas", asked + ["anything_else"])
            turn.set("asking_area", None)
            turn.say("utter_explore_anything_else",
                     areas=need.plain_list([need.AREA_WORDS[a] for a in remaining]))
            return
    await playback(turn)


async def on_explore(turn: Conversation) -> None:
    area = turn.slot("asking_area")
    fine = need.AREAS.get(area, ()) if area and need.reassuring(turn.message.text) else ()
    # whatever was asked, a need they say is over and fine now is not one to book for
    turn.absorb(not_these=(*fine, *need.settled(turn.message.text, turn.message.entities)))
    if turn.message.intent == "nothing_else" and turn.message.confidence >= SURE_THATS_ALL:
        await playback(turn)  # they have told us what matters; stop asking
    else:
        await explore_next(turn)


# --- playback, correction, priority, what they want ---------------------------------------------

async def playback(turn: Conversation) -> None:
    needs = turn.slot("needs") or []
    turn.set("asking_area", None)
    fallback = need.WHEN_NOTHING_ELSE.get(turn.slot("presenting_issue") or "")
    if not needs and fallback and fallback not in turn.declined_needs:
        needs = [fallback]
        turn.set("needs", needs)
    if not needs:
        await ask_wants_or_book(turn)
        return
    turn.move_to(PLAYBACK)
    say_playback(turn, needs)


def say_playback(turn: Conversation, needs: List[str], corrected: bool = False) -> None:
    """'So it sounds like ...': with two or more needs it also asks which matters most, so
    agreeing and choosing is one tap (a plain "yes" still gets the priority question)."""
    heard = need.plain_list([need.plain(n) for n in needs])
    if len(needs) < 2:
        turn.say("utter_playback_corrected" if corrected else "utter_playback", needs_heard=heard)
    else:
        turn.say("utter_playback_corrected_choose" if corrected else "utter_playback_choose",
                 needs_heard=heard, buttons=priority_buttons(needs) + [NOT_QUITE])


NOT_QUITE = {"title": "Not quite", "payload": "/deny"}


def priority_buttons(needs: List[str]) -> List[Dict[str, str]]:
    return [{"title": need.BUTTON_LABELS[n], "payload": '/inform{"need": "%s"}' % n} for n in needs]


def chosen_at_playback(turn: Conversation) -> Optional[str]:
    """The one need they picked from the playback ("the money one", or its button): that
    confirms the playback and answers which matters most."""
    known = turn.slot("needs") or []
    named = list(dict.fromkeys(turn.message.needs))
    if len(known) >= 2 and len(named) == 1 and named[0] in known and turn.message.intent != "deny":
        return named[0]
    return None


def wrongly_heard(turn: Conversation) -> List[str]:
    """Needs the resident says we got wrong: "no, not the drinking", "its not the benefits".

    The negation has to come just before the need it takes back: "UC stopped it, makes no
    sense" is more about benefits, not less.
    """
    text, known = turn.message.text, turn.slot("needs") or []
    named = [e.get("value") for e in turn.message.entities
             if e.get("entity") == "need" and e.get("value") in known
             and need.negated_before(text, int(e.get("start") or 0))]
    return list(dict.fromkeys(named + [n for n in known if need.denied(text, n)]))


async def on_playback(turn: Conversation) -> None:
    message = turn.message
    wrong = wrongly_heard(turn)
    if wrong:
        remove(turn, wrong)  # "no, not the drinking", whatever intent the words were given
        await after_correction(turn)
    elif chosen := chosen_at_playback(turn):
        set_priority(turn, chosen)
        await ask_wants_or_book(turn)
    elif message.intent == "affirm" or message.intent in ("skip", "nothing_else"):
        await ask_priority(turn)
    elif message.intent == "deny":
        turn.say("utter_ask_correction")
        turn.move_to(CORRECT)
    elif message.needs:
        corrected = turn.absorb()
        if not corrected and turn.reprompted_enough():
            await ask_priority(turn)
            return
        await after_correction(turn)
    elif turn.reprompted_enough():
        await ask_priority(turn)
    else:
        turn.say("utter_playback_yes_or_no")


async def on_correct(turn: Conversation) -> None:
    message = turn.message
    if message.intent in SKIPPING and not message.needs:
        await ask_priority(turn)
        return
    wrong = wrongly_heard(turn)
    if wrong:
        remove(turn, wrong)
    else:
        turn.absorb()
    await after_correction(turn)


def remove(turn: Conversation, wrong: List[str]) -> None:
    turn.set("needs", [n for n in (turn.slot("needs") or []) if n not in wrong])
    turn.set("declined_needs", turn.declined_needs + [n for n in wrong if n not in turn.declined_needs])
    quotes = turn.slot("in_their_words") or []
    if quotes:
        turn.set("in_their_words", [{**q, "needs": [n for n in q["needs"] if n not in wrong]}
                                    for q in quotes])


async def after_correction(turn: Conversation) -> None:
    needs = turn.slot("needs") or []
    count = int(turn.slot("playbacks") or 0) + 1
    turn.set("playbacks", count)
    if needs and count < 2:
        turn.move_to(PLAYBACK)
        say_playback(turn, needs, corrected=True)
    else:
        turn.say("utter_thanks_for_correcting")
        await ask_priority(turn)


async def ask_priority(turn: Conversation) -> None:
    needs = turn.slot("needs") or []
    if len(needs) < 2:
        turn.set("priority_need", needs[0] if needs else None)
        await ask_wants_or_book(turn)
        return
    turn.move_to(PRIORITY)
    turn.say("utter_ask_priority", buttons=priority_buttons(needs))


async def on_priority(turn: Conversation) -> None:
    needs = turn.slot("needs") or []
    chosen = [n for n in turn.message.needs if n in needs]
    if not chosen and turn.message.intent not in SKIPPING and not turn.reprompted_enough():
        chosen = [n for n in needs if need.mentions(turn.message.text, n)]
        if not chosen:
            turn.say("utter_ask_priority_again")
            return
    set_priority(turn, chosen[0] if chosen else needs[0])
    await ask_wants_or_book(turn)


def set_priority(turn: Conversation, chosen: str) -> None:
    """The need that matters most leads the list the worker reads."""
    turn.set("priority_need", chosen)
    turn.set("needs", [chosen] + [n for n in (turn.slot("needs") or []) if n != chosen])


async def ask_wants_or_book(turn: Conversation) -> None:
    if turn.slot("consent") is True:
        turn.move_to(WANTS)
        turn.say("utter_ask_what_they_want")
    else:
        # without consent we keep nothing beyond the booking, so we don't ask for more
        await booking.start(turn)


async def on_wants(turn: Conversation) -> None:
    # kept as said, not mined for needs: the needs were confirmed at the playback, and one
    # heard now ("a plan so I don't lose the flat" as moving home) would be unconfirmed
    if turn.message.intent not in SKIPPING and not turn.message.is_payload:
        turn.set("what_they_want", turn.message.text[:500])
    await booking.start(turn)


# What each stage asks, to ask it again after an interruption: a response, or a step that
# chooses its own (the next area, the playback, the priority buttons).
QUESTIONS: Dict[str, Union[str, Callable[[Conversation], Awaitable[None]]]] = {
    CONSENT: "utter_ask_consent",
    PRESENTING: "utter_ask_presenting_issue",
    STORY: "utter_ask_story",
    EXPLORE: explore_next,
    PLAYBACK: playback,
    CORRECT: "utter_ask_correction",
    PRIORITY: ask_priority,
    WANTS: "utter_ask_what_they_want",
}


async def on_resume(turn: Conversation) -> None:
    """Back after the session expired mid-conversation: carry on, or start afresh."""
    stage = turn.slot("paused_stage") or NEW
    if turn.message.intent == "deny":
        turn.forget_story()
        turn.say("utter_start_again")
        turn.say("utter_ask_presenting_issue")
        turn.move_to(PRESENTING)
        return
    if turn.message.intent == "affirm":
        turn.move_to(stage)
        await ask_again(turn)
    elif turn.message.tells_something:
        turn.move_to(stage)
        await HANDLERS[stage](turn)  # they simply carried on telling us
    else:
        topic = need.plain_list([need.plain(n) for n in turn.slot("needs") or []])
        turn.say("utter_welcome_back_mid_conversation" if topic else "utter_welcome_back_carry_on",
                 needs_heard=topic)


HANDLERS: Dict[str, Callable[[Conversation], Awaitable[None]]] = {
    NEW: on_new, CONSENT: on_consent, PRESENTING: on_presenting, STORY: on_story,
    EXPLORE: on_explore, PLAYBACK: on_playback, CORRECT: on_correct, PRIORITY: on_priority,
    WANTS: on_wants, RESUME: on_resume, **booking.HANDLERS,
}
