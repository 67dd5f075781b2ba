"""Needs and the areas of life we gently ask about to find the ones not yet mentioned.

Each area is one open question (a domain response) that can reveal some needs. Which areas are
asked, and in which order, follows what the person has already said: a presenting issue makes
some areas likelier (rent arrears often sits with benefits, money and work), and each need
already heard makes its neighbours likelier (a relationship that ended often brings loneliness
and childcare). We never ask about an area whose needs are all already known.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Sequence, Tuple

from bot.sentences import sentence_bounds
from bot.taxonomy import NEED_LABELS

# area -> needs it can reveal. The response asking about it is utter_explore_<area>.
AREAS: Dict[str, Tuple[str, ...]] = {
    "money": ("money_management", "food_fuel"),
    "benefits": ("benefits",),
    "work": ("employment", "childcare"),
    "home": ("housing_conditions", "housing_move"),
    "family": ("relationship_breakdown", "childcare", "domestic_abuse"),
    "health": ("mental_health",),
    "habits": ("substance_use",),
}

# Areas most often behind each presenting issue, likeliest first.
BY_PRESENTING_ISSUE: Dict[str, Tuple[str, ...]] = {
    "rent_arrears": ("benefits", "money", "work", "family", "health", "home", "habits"),
    "council_tax_arrears": ("money", "benefits", "work", "family", "health", "habits", "home"),
    "debt": ("money", "benefits", "work", "health", "habits", "family", "home"),
    "eviction_notice": ("benefits", "money", "home", "family", "work", "health", "habits"),
    "benefits_stopped": ("money", "work", "health", "family", "home", "habits", "benefits"),
    "cost_of_living": ("money", "benefits", "work", "home", "health", "family", "habits"),
    "other": ("money", "benefits", "work", "family", "health", "home", "habits"),
}

# Needs that often come together: hearing the key makes these areas likelier.
NEIGHBOURS: Dict[str, Tuple[str, ...]] = {
    "relationship_breakdown": ("health", "family", "money"),
    "substance_use": ("health", "family"),
    "mental_health": ("habits", "family"),
    "domestic_abuse": ("family", "health", "home"),
    "employment": ("money", "benefits", "work"),
    "benefits": ("money", "work"),
    "food_fuel": ("money", "benefits"),
    "money_management": ("benefits", "work"),
    "childcare": ("work", "family"),
    "housing_conditions": ("home", "health"),
    "housing_move": ("home", "money"),
    "immigration": ("benefits", "work"),
}


def areas_to_explore(presenting_issue: str, known: Sequence[str], asked: Sequence[str],
                     limit: int) -> List[str]:
    """The next areas worth one gentle question each, likeliest first."""
    base = BY_PRESENTING_ISSUE.get(presenting_issue or "other", BY_PRESENTING_ISSUE["other"])
    score = {area: len(base) - i for i, area in enumerate(base)}
    for need in known:
        for area in NEIGHBOURS.get(need, ()):
            score[area] = score.get(area, 0) + 4
    candidates = [a for a in AREAS if a not in asked and not set(AREAS[a]) <= set(known)]
    return sorted(candidates, key=lambda a: -score.get(a, 0))[:limit]


def plain(need: str) -> str:
    """A short plain-English phrase for a need, for playback: 'benefits problems'."""
    return SHORT_LABELS[need]


SHORT_LABELS: Dict[str, str] = {
    "money_management": "managing money and debts",
    "benefits": "sorting out your benefits",
    "employment": "finding work or more hours",
    "housing_move": "moving somewhere more suitable",
    "relationship_breakdown": "coping after a relationship ended",
    "substance_use": "drink, drugs or gambling",
    "childcare": "affordable childcare",
    "mental_health": "how you're feeling in yourself",
    "domestic_abuse": "feeling safe at home",
    "immigration": "your immigration status",
    "housing_conditions": "problems with the state of your home",
    "food_fuel": "affording food, gas and electric",
}
assert set(SHORT_LABELS) == set(NEED_LABELS)


def plain_list(items: Sequence[str]) -> str:
    items = list(items)
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# How an area is named in the broader "anything else?" question.
AREA_WORDS: Dict[str, str] = {
    "money": "money or bills", "benefits": "benefits", "work": "work",
    "home": "your home", "family": "family or relationships", "health": "your health or mood",
    "habits": "drink, drugs or gambling",
}

# Button titles for the priority question: WhatsApp allows 20 characters, SMS numbers them.
BUTTON_LABELS: Dict[str, str] = {
    "money_management": "Money and debts",
    "benefits": "Benefits",
    "employment": "Work",
    "housing_move": "Moving home",
    "relationship_breakdown": "Relationship ended",
    "substance_use": "Drink/drugs/gambling",
    "childcare": "Childcare",
    "mental_health": "How I'm feeling",
    "domestic_abuse": "Safety at home",
    "immigration": "Immigration",
    "housing_conditions": "State of my home",
    "food_fuel": "Food, gas, electric",
}

# Words that point at a need when someone names it in reply to "which matters most?"
MENTION_WORDS: Dict[str, Tuple[str, ...]] = {
    "money_management": ("money", "debt", "budget", "bills"),
    "benefits": ("benefit", "universal credit", "uc", "pip", "dwp"),
    "employment": ("work", "job", "employ"),
    "housing_move": ("move", "moving", "new place", "rehous"),
    "relationship_breakdown": ("relationship", "partner", "ex ", "separat", "divorc", "alone"),
    "substance_use": ("drink", "drug", "gambl", "alcohol"),
    "childcare": ("childcare", "nursery", "kids", "children"),
    "mental_health": ("feeling", "mental", "mood", "depress", "anxi", "stress", "lonely"),
    "domestic_abuse": ("safe", "abuse"),
    "immigration": ("immigration", "visa", "status", "home office"),
    "housing_conditions": ("damp", "mould", "repair", "landlord", "state of"),
    "food_fuel": ("food", "gas", "electric", "heating"),
}


# A presenting issue that is itself a need: no need to ask about it to know it.
IMPLIED_BY_PRESENTING_ISSUE: Dict[str, str] = {
    "debt": "money_management",
    "council_tax_arrears": "money_management",
    "benefits_stopped": "benefits",
}

# A presenting issue that stands for a need when nothing else was told: "rent arrears", then
# "that's everything", is still a debt to plan for (the playback lets them say otherwise). Not
# implied whenever it is named (IMPLIED_BY_PRESENTING_ISSUE): arrears often come from a benefit
# error or lost hours, and then the debt is not the need.
WHEN_NOTHING_ELSE: Dict[str, str] = {
    "rent_arrears": "money_management",
}

# "I have UC, is ok no problem": an answer that says an area is fine, with no sign of trouble.
REASSURING = re.compile(r"\b(fine|ok|okay|alright|all good|no problems?|not really|managing|"
                        r"sorted|no issues?|nothing wrong|all right|no worries|good)\b", re.I)
TROUBLE = re.compile(r"\b(but|except|stopped|cut|cuts|can'?t|cannot|cant|struggl\w*|behind|late|"
                     r"owe|owing|problems? with|sanction\w*|worr\w*|stress\w*|not enough|skint|"
                     r"debt|arrears|lost|scared|afraid)\b", re.I)


# "not good", "isn't ok", "im not managing": words of reassurance, negated, are trouble.
NEGATED_FINE = re.compile(r"\b(?:not|never|no|isn'?t|aren'?t|wasn'?t|ain'?t|isnt|arent|wasnt|aint)\s+"
                          r"(?:so |too |very |that |really )?(?:fine|ok|okay|alright|all right|good|"
                          r"great|managing|coping|well)\b", re.I)
# "we separated long time ago, is fine": a sentence that ends by saying it is all right now.
SETTLED = re.compile(r"(?:^|[,;:-]\s*|\b(?:but|and)\s+)(?:(?:it|its|it's|that|thats|that's|all|"
                     r"everything|we|we're|were|i'm|im|is|are|been)\s+){0,3}(?:fine|ok|okay|alright|"
                     r"all right|all good|sorted|no problem|not a problem)(?:\s+(?:now|tho|though|"
                     r"really|thanks|thank you))*\W*$", re.I)
# ...and says it is over: "years ago", "back in 2019", "fine now" ("drinking more but its ok" is not).
OVER = re.compile(r"\b(?:ago|used to|years back|long time|back in|in (?:19|20)\d\d|now)\b", re.I)


def reassuring(text: str) -> bool:
    """Whether an answer says the area asked about is fine."""
    return bool(REASSURING.search(text)) and not TROUBLE.search(text) and not NEGATED_FINE.search(text)


def settled(text: str, entities: Sequence[Dict[str, Any]]) -> List[str]:
    """Needs named only in sentences that end by saying it is fine now ("their dad is in Poland,
    we separated long time ago, is fine"), over and with no sign of trouble before that. Only a
    closing "it's fine" counts: "I'm fine, just lonely since he died" keeps its needs."""
    fine: Dict[str, bool] = {}
    for entity in entities:
        if entity.get("entity") != "need" or entity.get("start") is None:
            continue
        begin, end = next(b for b in sentence_bounds(text) if b[0] <= entity["start"] <= b[1])
        sentence = text[begin:end].strip()
        tail = SETTLED.search(sentence)
        calm = bool(tail) and bool(OVER.search(sentence)) and not NEGATED_FINE.search(sentence) \
            and not TROUBLE.search(re.sub(r"\bbut\b", "", sentence[:tail.start()]))
        fine[entity["value"]] = fine.get(entity["value"], True) and calm
    return [n for n, calm in fine.items() if calm]


def mentions(text: str, need_id: str) -> bool:
    lowered = f" {text.lower()} "
    return any(word in lowered for word in MENTION_WORDS[need_id])


# "not the work or the childcare or the repairs" takes back all three; a "but" ends it
NEGATION = re.compile(r"(?:\b(?:not|nothing|never|isn'?t|wasn'?t|aren'?t|don'?t|dont|doesn'?t|"
                      r"wrong about)\b(?:(?!\bbut\b)[^.!?;]){0,60}|\bno\b[^.!?;]{0,12})$", re.I)


FINE_AFTER = re.compile(r"^\w*\W+(?:\w+\W+){0,2}?(?:is|are|'s|s)?\s*(?:not|isn'?t|aren'?t|never been)\s+"
                        r"(?:a |the |an )?(?:problem|issue|worry)|^\w*\W+(?:\w+\W+){0,2}?(?:is|are|'s)\s+"
                        r"(?:fine|ok|okay|sorted|alright)\b", re.I)


def negated_before(text: str, position: int) -> bool:
    """A negation just before this point: "no, not the drinking", "its not the job"."""
    return bool(NEGATION.search(text[:position]))


def denied(text: str, need_id: str) -> bool:
    """The resident says this need is not theirs ("no not the drinking"), not merely a "no"
    somewhere in the message ("UC stopped it, makes no sense" still means benefits)."""
    lowered = f" {text.lower()} "
    return any(negated_before(lowered, i) or FINE_AFTER.search(lowered[i:i + 50])
               for word in MENTION_WORDS.get(need_id, ()) for i in _positions(lowered, word))


def _positions(text: str, word: str) -> List[int]:
    found, start = [], text.find(word)
    while start != -1:
        found.append(start)
        start = text.find(word, start + 1)
    return found
