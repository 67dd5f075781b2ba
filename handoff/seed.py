"""Demo workers with weekly hours, inserted only when missing (idempotent)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .models import WeeklyAvailability, Worker
from .workers import add_weekly_hours, create_worker, hash_password

HUB = "Community Hub, 12 Vicarage Lane, E15"
DEMO_WORKERS: list[dict[str, object]] = [
    dict(
        name="Amina Rahman", email="amina@example.org", role="Money and benefits adviser",
        intro="Amina is a money and benefits adviser; she speaks Bengali and English.",
        needs=["money_management", "benefits", "food_fuel"], languages=["bn", "en"],
        contact_modes=["phone", "face_to_face", "video"], phone="020 7946 0101",
    ),
    dict(
        name="Tomasz Nowak", email="tomasz@example.org", role="Employment and money adviser",
        intro="Tomasz helps people into work and with money and benefits; he speaks Polish and English.",
        needs=["employment", "money_management", "benefits"], languages=["pl", "en"],
        contact_modes=["phone", "face_to_face"], phone="020 7946 0102",
    ),
    dict(
        name="Grace Okafor", email="grace@example.org", role="Housing adviser",
        intro="Grace helps with moving home, landlord problems and immigration questions; she speaks English and Yoruba.",
        needs=["housing_move", "housing_conditions", "immigration"], languages=["en", "yo"],
        contact_modes=["phone", "face_to_face", "video"], phone="020 7946 0103",
    ),
    dict(
        name="Daniel Hughes", email="daniel@example.org", role="Wellbeing support worker",
        intro="Daniel supports people with alcohol, drugs or gambling, mental health and coping alone; he speaks English.",
        needs=["substance_use", "mental_health", "relationship_breakdown"], languages=["en"],
        contact_modes=["phone", "video"], phone="020 7946 0104",
    ),
    dict(
        name="Fatima Begum", email="fatima@example.org", role="Family support worker",
        intro="Fatima supports families with safety at home, childcare and wellbeing; she speaks English, Bengali and Urdu.",
        needs=["domestic_abuse", "childcare", "relationship_breakdown", "mental_health"], languages=["en", "bn", "ur"],
        contact_modes=["phone", "face_to_face"], phone="020 7946 0105", on_duty=True,
    ),
    dict(
        name="Sam Admin", email="sam@example.org", role="Service administrator",
        intro="Sam runs the service rota.", needs=[], languages=["en"], contact_modes=["phone"],
        phone="020 7946 0100", is_admin=True,
    ),
]
WORKDAY = (dt.time(9, 0), dt.time(17, 0))


async def seed_demo(sessionmaker: async_sessionmaker[AsyncSession], password: str) -> list[str]:
    """Insert missing demo workers (Mon–Fri 09:00–17:00, 60-minute slots); return their emails."""
    emails = []
    # One hash for all demo accounts: they share a known password anyway, and argon2 is slow on purpose.
    demo_hash = hash_password(password)
    async with sessionmaker.begin() as session:
        for spec in DEMO_WORKERS:
            email = str(spec["email"])
            emails.append(email)
            worker = await session.scalar(select(Worker).where(Worker.email == email))
            if worker is None:
                worker = await create_worker(session, password_hash=demo_hash, location=HUB, **spec)  # type: ignore[arg-type]
            if spec.get("is_admin"):
                continue
            has_hours = await session.scalar(
                select(WeeklyAvailability.id).where(WeeklyAvailability.worker_id == worker.id).limit(1)
            )
            if has_hours is None:
                for weekday in range(5):
                    await add_weekly_hours(session, worker.id, weekday, *WORKDAY, slot_minutes=60)
    return emails
