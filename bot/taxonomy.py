"""The canonical need, risk and presenting-issue ids of DESIGN.md (use exactly these)."""
from typing import Dict, Tuple

NEED_LABELS: Dict[str, str] = {
    "money_management": "help managing money, budgeting, debts",
    "benefits": "benefits problems (Universal Credit, housing element, PIP, sanctions, deductions)",
    "employment": "getting into work, more hours, better work",
    "housing_move": "moving to a more suitable or affordable home",
    "relationship_breakdown": "separation or bereavement, coping alone",
    "substance_use": "alcohol, drugs or gambling",
    "childcare": "affordable childcare",
    "mental_health": "mental health, wellbeing, loneliness",
    "domestic_abuse": "abuse or controlling behaviour at home",
    "immigration": "immigration status, no recourse to public funds",
    "housing_conditions": "disrepair, damp, mould, illegal eviction, landlord problems",
    "food_fuel": "not enough money for food, gas or electricity",
}
NEED_IDS: Tuple[str, ...] = tuple(NEED_LABELS)

# Most urgent first: when one message carries several risks, the first one here leads.
RISK_IDS: Tuple[str, ...] = (
    "suicide_self_harm",
    "harm_from_others",
    "child_at_risk",
    "homeless_tonight",
    "eviction_imminent",
    "no_food_or_heating",
)
RISK_INTENT_PREFIX = "risk_"

# Most specific first: when one message names several ("a section 21 over the rent arrears"),
# the first one here is its presenting issue (an entity: bot/cues/presenting_issues.yml says where
# it comes from).
PRESENTING_ISSUES: Tuple[str, ...] = (
    "eviction_notice",
    "rent_arrears",
    "council_tax_arrears",
    "benefits_stopped",
    "debt",
    "cost_of_living",
    "other",
)


def risk_intent(risk_id: str) -> str:
    return RISK_INTENT_PREFIX + risk_id


def risk_of_intent(intent_name: str) -> str | None:
    """The risk id an intent stands for, or None."""
    if intent_name.startswith(RISK_INTENT_PREFIX):
        candidate = intent_name[len(RISK_INTENT_PREFIX):]
        return candidate if candidate in RISK_IDS else None
    return None

