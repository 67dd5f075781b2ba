"""The language a resident would like to talk in, when they tell us ("my english not good, i
speak polish"), so matching can find a worker who speaks it or book an interpreter."""
from __future__ import annotations

import re
from typing import Optional

# East London's most spoken languages first; ISO 639-1 codes as the handoff service uses.
LANGUAGES = {
    "bengali": "bn", "bangla": "bn", "sylheti": "bn", "urdu": "ur", "polish": "pl",
    "lithuanian": "lt", "romanian": "ro", "portuguese": "pt", "spanish": "es", "somali": "so",
    "arabic": "ar", "turkish": "tr", "punjabi": "pa", "gujarati": "gu", "tamil": "ta",
    "hindi": "hi", "yoruba": "yo", "igbo": "ig", "twi": "ak", "french": "fr", "russian": "ru",
    "bulgarian": "bg", "albanian": "sq", "tigrinya": "ti", "amharic": "am", "farsi": "fa",
    "persian": "fa", "kurdish": "ku", "pashto": "ps", "dari": "fa", "chinese": "zh",
    "mandarin": "zh", "cantonese": "zh", "vietnamese": "vi", "italian": "it", "hungarian": "hu",
    "ukrainian": "uk", "swahili": "sw",
}
# Only a language named with one of these counts: "polish" alone may be about furniture.
CUES = re.compile(r"\b(speak|speaks|speaking|language|interpreter|translator|translate|"
                  r"english (is )?not good|little english|no english|my english|in my own)\b", re.I)


def mentioned(text: str) -> Optional[str]:
    """The ISO code of a language the resident says they speak or want, or None."""
    if not text or not CUES.search(text):
        return None
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in LANGUAGES:
            return LANGUAGES[word]
    return None
