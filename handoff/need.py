"""Canonical need, risk and presenting-issue ids (DESIGN.md) with plain labels."""
from __future__ import annotations

NEEDS: dict[str, str] = {
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

RISKS: dict[str, str] = {
    "suicide_self_harm": "thoughts of suicide or self-harm, an overdose taken",
    "harm_from_others": "in danger from someone now",
    "child_at_risk": "a child is being harmed or is unsafe",
    "homeless_tonight": "nowhere safe to sleep tonight",
    "eviction_imminent": "bailiffs or eviction within days",
    "no_food_or_heating": "no food, gas or electricity today",
}

PRESENTING_ISSUES: dict[str, str] = {
    "rent_arrears": "rent arrears",
    "council_tax_arrears": "council tax arrears",
    "debt": "debt",
    "eviction_notice": "eviction letter",
    "benefits_stopped": "benefits stopped",
    "cost_of_living": "can't afford food or bills",
    "other": "something else",
}

CONTACT_MODES: dict[str, str] = {
    "phone": "phone",
    "face_to_face": "face to face",
    "video": "video",
}


def need_label(need_id: str) -> str:
    """Plain label for a need id (the id itself if unknown)."""
    return NEEDS.get(need_id, need_id)
