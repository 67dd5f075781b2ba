"""Anonymous monthly counts: what the service learned, kept after the people in it are erased."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from .models import AnonymousCount, Handoff, utcnow


async def increment(session: AsyncSession, metric: str, key: str, month: str | None = None) -> None:
    """Add one to (month, metric, key), race-free (INSERT … ON CONFLICT DO UPDATE)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(AnonymousCount).values(month=month or utcnow().strftime("%Y-%m"), metric=metric, key=key[:60], count=1)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["month", "metric", "key"], set_={"count": AnonymousCount.count + statement.excluded.count}
        )
    )


async def count_new_handoff(session: AsyncSession, handoff: Handoff) -> None:
    """Tally a new summary by channel, urgency, risks and (only when shared with consent) needs."""
    await increment(session, "handoffs", "all")
    await increment(session, "channel", handoff.channel)
    await increment(session, "urgent", "yes" if handoff.urgent else "no")
    for risk in handoff.risks or []:
        await increment(session, "risk", risk)
    if handoff.presenting_issue:
        await increment(session, "presenting_issue", handoff.presenting_issue)
    for need in handoff.needs or []:
        await increment(session, "need", need["id"])


async def monthly_counts(session: AsyncSession) -> dict[str, dict[str, dict[str, int]]]:
    """{month: {metric: {key: count}}}."""
    result: dict[str, dict[str, dict[str, int]]] = {}
    rows = await session.execute(select(AnonymousCount.month, AnonymousCount.metric, AnonymousCount.key, AnonymousCount.count))
    for month, metric, key, count in rows:
        result.setdefault(month, {}).setdefault(metric, {})[key] = count
    return result
