"""Where a resident's sentences begin and end: one definition for the NLU components and the
actions (kept free of Rasa imports so the action server can use it)."""
from __future__ import annotations

import re
from typing import List, Tuple

# sentences end at . ! ? ; or a new line ("..." is one end)
SENTENCE_END = re.compile(r"[.!?;\n]+")


def sentence_bounds(text: str) -> List[Tuple[int, int]]:
    """(start, end) of every stretch between sentence ends; the next starts after the end marks."""
    marks = list(SENTENCE_END.finditer(text))
    return list(zip([0] + [m.end() for m in marks], [m.start() for m in marks] + [len(text)]))
