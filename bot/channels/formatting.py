"""Fitting the bot's messages to SMS and WhatsApp.

Pure functions, no I/O:
- `to_gsm7` replaces typographic characters and emoji that would force an SMS into UCS-2;
- `sms_segments` counts the segments a text costs (160/153 GSM-7, 70/67 UCS-2);
- `split_sentences` splits long texts on sentence boundaries into chunks that fit;
- `render_sms` / `render_whatsapp_text` turn one bot turn into message bodies, with buttons as
  numbered choices ("Reply 1 for ..."); `render_meta_whatsapp` uses interactive reply buttons
  (at most 3, titles of at most 20 characters) or a list (at most 10 rows);
- `match_choice` maps a reply ("2", or the choice's exact words) back to the button's payload.
"""
from __future__ import annotations

import math
import re
import unicodedata
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

Choice = Dict[str, str]  # {"title": ..., "payload": ...}

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")  # each costs two septets (escape + char)

SMS_MAX_SEGMENTS = 3
WHATSAPP_TEXT_LIMIT = 4096        # Meta Cloud API text body
WHATSAPP_INTERACTIVE_BODY = 1024  # Meta interactive message body
TWILIO_BODY_LIMIT = 1600          # Twilio Messages API body (SMS and WhatsApp)
BUTTON_TITLE_LIMIT = 20
MAX_REPLY_BUTTONS = 3
LIST_ROW_TITLE_LIMIT = 24
LIST_ROW_DESCRIPTION_LIMIT = 72
MAX_LIST_ROWS = 10
ID_LIMIT = 200

_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u2022": "-", "\u00b7": "-",
    "\u2026": "...",
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
    "\ufe0e": "", "\ufe0f": "",  # variation selectors
    "\t": " ",
}
_EMOJI = re.compile(
    "[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U0001F1E6-\U0001F1FF\U00002B00-\U00002BFF"
    "\U0000231A-\U0000231B\U000023E9-\U000023FA\U00002190-\U000021FF\U0001F3FB-\U0001F3FF]"
)


# ---- SMS encoding -------------------------------------------------------------------------

def to_gsm7(text: str) -> str:
    """Replace what would needlessly force UCS-2: curly quotes, dashes, ellipsis, odd spaces,
    emoji. Letters outside GSM-7 (e.g. Bengali, Polish) are kept: the text then goes as UCS-2."""
    text = "".join(_REPLACEMENTS.get(ch, ch) for ch in text)
    text = _EMOJI.sub("", text)
    text = re.sub(r"[ ]{2,}", " ", text)
    text = re.sub(r" +([.,!?])", r"\1", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def sms_units(text: str) -> Tuple[int, bool]:
    """(length in the encoding's units, whether it is GSM-7)."""
    if is_gsm7(text):
        return sum(2 if ch in GSM7_EXTENDED else 1 for ch in text), True
    return len(text.encode("utf-16-le")) // 2, False


def sms_segments(text: str) -> int:
    units, gsm = sms_units(text)
    single, multi = (160, 153) if gsm else (70, 67)
    if units <= single:
        return 1
    return math.ceil(units / multi)


# ---- splitting ------------------------------------------------------------------------------

_SENTENCE_BREAK = re.compile(r"((?<=[.!?])\s+|(?<=[.!?][\"')])\s+|\s*\n\s*)")


def split_sentences(text: str, fits: Callable[[str], bool]) -> List[str]:
    """Greedy packing of whole sentences into chunks for which `fits(chunk)` holds; a sentence
    too long on its own is split between words (and a word too long, between characters)."""
    text = text.strip()
    if not text:
        return []
    if fits(text):
        return [text]
    parts = _SENTENCE_BREAK.split(text)
    pieces: List[Tuple[str, str]] = []  # (separator before, sentence)
    separator = ""
    for index, part in enumerate(parts):
        if index % 2:
            separator = "\n\n" if part.count("\n") > 1 else ("\n" if "\n" in part else " ")
        elif part:
            pieces.append((separator, part))
    chunks: List[str] = []
    current = ""
    for separator, sentence in pieces:
        candidate = current + separator + sentence if current else sentence
        if fits(candidate):
            current = candidate
            continue
        if current:
            chunks.append(current)
        if fits(sentence):
            current = sentence
        else:
            words = _split_words(sentence, fits)
            chunks.extend(words[:-1])
            current = words[-1]
    if current:
        chunks.append(current)
    return chunks


def _split_words(sentence: str, fits: Callable[[str], bool]) -> List[str]:
    chunks: List[str] = []
    current = ""
    for word in sentence.split(" "):
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
            continue
        if current:
            chunks.append(current)
        current = word
        while not fits(current):
            cut = max(1, max(i for i in range(1, len(current) + 1) if fits(current[:i]) or i == 1))
            chunks.append(current[:cut])
            current = current[cut:]
    chunks.append(current)
    return [c for c in chunks if c]


# ---- one bot turn -> bodies --------------------------------------------------------------------

def turn_parts(messages: Sequence[Dict[str, Any]]) -> Tuple[List[str], List[Choice]]:
    """The texts of a bot turn (image URLs as text) and all its buttons, in order."""
    texts: List[str] = []
    choices: List[Choice] = []
    for message in messages:
        if message.get("text"):
            texts.append(str(message["text"]).strip())
        if message.get("image"):
            texts.append(str(message["image"]))
        for button in message.get("buttons") or []:
            title, payload = button.get("title"), button.get("payload")
            if title and payload:
                choices.append({"title": str(title), "payload": str(payload)})
    return [t for t in texts if t], choices


def numbered_choices(choices: Sequence[Choice]) -> str:
    """'Reply 1 for "Yes", 2 for "No".' (3 or more: '..., 2 for "B" or 3 for "C".')"""
    items = [f'{i} for "{c["title"]}"' for i, c in enumerate(choices, 1)]
    if len(items) > 2:
        listed = ", ".join(items[:-1]) + " or " + items[-1]
    else:
        listed = ", ".join(items)
    return f"Reply {listed}."


def render_sms(messages: Sequence[Dict[str, Any]]) -> Tuple[List[str], List[Choice]]:
    """SMS bodies for a bot turn (GSM-7 where possible, each at most 3 segments) and the
    choices to remember for the resident's next reply."""
    texts, choices = turn_parts(messages)
    if choices:
        texts.append(numbered_choices(choices))
    text = to_gsm7("\n\n".join(texts))
    return split_sentences(text, lambda chunk: sms_segments(chunk) <= SMS_MAX_SEGMENTS), choices


def render_whatsapp_text(messages: Sequence[Dict[str, Any]],
                         limit: int = TWILIO_BODY_LIMIT) -> Tuple[List[str], List[Choice]]:
    """Plain WhatsApp bodies (Twilio: free-form interactive buttons need pre-approved content
    templates there, so buttons become numbered choices)."""
    texts, choices = turn_parts(messages)
    if choices:
        texts.append(numbered_choices(choices))
    return split_sentences("\n\n".join(texts), lambda chunk: len(chunk) <= limit), choices


def choice_id(index: int, choice: Choice, choices: Sequence[Choice]) -> str:
    """The payload itself when short and unique (works even if the stored choices are gone),
    else 'choice:N' (resolved from the choices remembered for the resident)."""
    payload = choice["payload"]
    unique = sum(1 for c in choices if c["payload"] == payload) == 1
    if unique and len(payload) <= ID_LIMIT and not payload.startswith("choice:"):
        return payload
    return f"choice:{index}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def render_meta_whatsapp(messages: Sequence[Dict[str, Any]]) -> Tuple[List[Dict[str, Any]], List[Choice]]:
    """Meta Cloud API message objects (without `messaging_product`/`to`) for a bot turn."""
    texts, choices = turn_parts(messages)
    body = "\n\n".join(texts)
    if not choices or len(choices) > MAX_LIST_ROWS:
        if choices:
            body = "\n\n".join(texts + [numbered_choices(choices)])
        chunks = split_sentences(body, lambda chunk: len(chunk) <= WHATSAPP_TEXT_LIMIT)
        return [_meta_text(c) for c in chunks], choices
    chunks = split_sentences(body, lambda chunk: len(chunk) <= WHATSAPP_INTERACTIVE_BODY) or [
        "Please choose one:"]
    out = [_meta_text(c) for c in chunks[:-1]]
    ids = [choice_id(i, c, choices) for i, c in enumerate(choices, 1)]
    if len(choices) <= MAX_REPLY_BUTTONS and all(len(c["title"]) <= BUTTON_TITLE_LIMIT for c in choices):
        action: Dict[str, Any] = {"buttons": [
            {"type": "reply", "reply": {"id": i, "title": c["title"]}} for i, c in zip(ids, choices)]}
        kind = "button"
    else:
        rows = []
        for i, c in zip(ids, choices):
            row = {"id": i, "title": _shorten(c["title"], LIST_ROW_TITLE_LIMIT)}
            if len(c["title"]) > LIST_ROW_TITLE_LIMIT:
                row["description"] = _shorten(c["title"], LIST_ROW_DESCRIPTION_LIMIT)
            rows.append(row)
        action = {"button": "See the choices", "sections": [{"title": "Choices", "rows": rows}]}
        kind = "list"
    out.append({"type": "interactive",
                "interactive": {"type": kind, "body": {"text": chunks[-1]}, "action": action}})
    return out, choices


def _meta_text(body: str) -> Dict[str, Any]:
    return {"type": "text", "text": {"body": body, "preview_url": False}}


# ---- replies -> payloads -----------------------------------------------------------------------

_NUMBER = re.compile(r"^\(?#?\s*(\d{1,2})\s*[.)]?$")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", "".join(_REPLACEMENTS.get(ch, ch) for ch in text)).lower()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def match_choice(text: str, choices: Optional[Sequence[Choice]]) -> Optional[str]:
    """The payload the reply selects: its number ("2", "2.", "(2)") or exactly the choice's words
    (case and punctuation aside). Anything longer goes to the bot as written, so nothing a
    resident adds (a risk, a correction) is ever swallowed by a button."""
    if not choices or not text:
        return None
    number = _NUMBER.match(text.strip())
    if number:
        index = int(number.group(1))
        return choices[index - 1]["payload"] if 1 <= index <= len(choices) else None
    said = _normalise(text)
    if not said:
        return None
    matches = [c["payload"] for c in choices if _normalise(c["title"]) == said]
    return matches[0] if len(matches) == 1 else None


def resolve_choice_id(choice_id_: str, choices: Optional[Sequence[Choice]]) -> Optional[str]:
    """An interactive reply's id back to its payload ('choice:N' needs the stored choices)."""
    if not choice_id_.startswith("choice:"):
        return choice_id_
    try:
        index = int(choice_id_.split(":", 1)[1])
    except ValueError:
        return None
    if choices and 1 <= index <= len(choices):
        return choices[index - 1]["payload"]
    return None
