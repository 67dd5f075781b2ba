"""How to reach a resident safely: a phone number or email, and what must never be used."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional, Sequence

PHONE = re.compile(r"(?:\+44\s?7\d{3}|\(?07\d{3}\)?|\+44\s?20|\(?020\)?)[\s-]?\d{3,4}[\s-]?\d{3,4}")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# "don't text me", "no calls", "not by email", "he reads my phone"
NEVER = {
    "text": re.compile(r"\b(don'?t|do not|dont|no|not|never)\b[^.!?,;]{0,14}\b(text|texts|sms|message|whatsapp)", re.I),
    "call": re.compile(r"\b(don'?t|do not|dont|no|not|never)\b[^.!?,;]{0,14}\b(call|calls|ring|phone me)", re.I),
    "email": re.compile(r"\b(don'?t|do not|dont|no|not|never)\b[^.!?,;]{0,14}\b(email|e-mail)", re.I),
    "letter": re.compile(r"\b(don'?t|do not|dont|no|not|never)\b[^.!?,;]{0,14}\b(letter|post)", re.I),
}
# "don't call before 10am" is a time to avoid, not a channel never to use
TIMING = re.compile(r"^\s*(?:me\s+)?((?:before|after|until|till|between|during|in the (?:morning|evening|day)|"
                    r"at (?:work|night|weekends?)|on (?:weekdays|weekends?))\b[^.!?,;]{0,20})", re.I)
# "texts are fine", "text me", "whatsapp is best": the way they would rather be reached
TEXT_WELCOME = re.compile(r"\b(texts?|txt|sms|messages?|whatsapp)\b(?: (?:is|are|me|are all))?\s*"
                          r"(?:fine|ok|okay|good|best|better|easier|please)\b|\b(text|txt|message) me\b", re.I)
READS_MY_PHONE = re.compile(r"\b(reads|checks|goes through|looks at)\b[^.!?]{0,15}\b(my )?(phone|messages|texts)", re.I)


@dataclass(frozen=True)
class Contact:
    phone: Optional[str]
    email: Optional[str]
    avoid: List[str]  # channels the resident said are unsafe
    when: List[str] = field(default_factory=list)  # times to avoid: "do not call before 10am"
    texts_welcome: bool = False  # "texts are fine", "text me"

    @property
    def address(self) -> Optional[str]:
        return self.phone or self.email

    @property
    def preferred(self) -> str:
        """How the worker should reach them first: a call unless calls are off or texts are
        asked for ("texts are fine but don't call before 10am" is a text first)."""
        if self.email and not self.phone:
            return "email"
        if "text" not in self.avoid and ("call" in self.avoid or self.texts_welcome):
            return "text"
        return "phone"


def parse(text: str) -> Contact:
    """What a resident's answer tells us about reaching them. Nothing invented."""
    phone = PHONE.search(text or "")
    email = EMAIL.search(text or "")
    avoid: List[str] = []
    when: List[str] = []
    for channel, pattern in NEVER.items():
        found = pattern.search(text or "")
        if not found:
            continue
        timing = TIMING.match(text[found.end():])
        if timing:
            when.append(f"do not {WORDS[channel].split(' ', 2)[-1]} {timing.group(1).strip()}")
        else:
            avoid.append(channel)
    if READS_MY_PHONE.search(text or "") and "text" not in avoid:
        avoid.append("text")
    return Contact(phone=re.sub(r"[\s()-]", "", phone.group(0)) if phone else None,
                   email=email.group(0) if email else None, avoid=avoid, when=when,
                   texts_welcome=bool(TEXT_WELCOME.search(text or "")))


WORDS = {"text": "do not text", "call": "do not call", "email": "do not email",
         "letter": "do not send letters"}


def safe_note(avoid: List[str], when: Sequence[str] = ()) -> Optional[str]:
    """The line the worker reads first: what never to use, and when not to."""
    notes = [WORDS[a] for a in avoid] + list(when)
    return "; ".join(notes).capitalize() if notes else None
