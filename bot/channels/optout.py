"""STOP / START / HELP, as SMS and WhatsApp residents expect them.

Only a message that is exactly one keyword counts (case, spaces and a trailing full stop or
exclamation mark aside): "cancel my appointment" goes to the bot; "CANCEL" stops messages.
"""
from __future__ import annotations

import os
import re
from typing import Optional

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "UNSTOP"}  # not YES: "yes" answers the bot's own questions
HELP_WORDS = {"HELP", "INFO"}

SERVICE_NAME = "Newham Community Advice"
DEFAULT_SERVICE_PHONE = "020 7946 0321"


def keyword(text: Optional[str]) -> Optional[str]:
    """'stop', 'start', 'help' or None."""
    if not text:
        return None
    word = re.sub(r"[.!\s]+$", "", text.strip()).upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return None


def service_phone() -> str:
    return os.environ.get("SERVICE_PHONE") or DEFAULT_SERVICE_PHONE


def help_text() -> str:
    return (f"{SERVICE_NAME}: write to us here about what's going on and a person from our team "
            f"will follow up. To talk to someone, call {service_phone()}. In danger now? Call 999. "
            f"Samaritans, free, any time: 116 123. Reply STOP to stop messages.")


def stopped_text() -> str:
    return (f"You won't get any more messages from {SERVICE_NAME}. Reply START if you want to talk "
            f"again, or call {service_phone()}. In danger now? Call 999.")


def started_text() -> str:
    return (f"Welcome back to {SERVICE_NAME}. Write to us any time about what's going on. "
            f"Reply STOP to stop messages.")


def apology_text() -> str:
    return (f"Sorry, something went wrong on our side. Please try again in a few minutes, or call "
            f"us on {service_phone()}. In danger now? Call 999.")


def text_only_text() -> str:
    return (f"Sorry, I can only read written messages. Please write a few words, or call us on "
            f"{service_phone()}.")
