"""Erasure and retention for Rasa's tracker store (the conversation's events).

- `erase(engine, conversation_id)`: every event of one conversation, for "delete my data"
  (called by the handoff service through bot/channels/privacy.py, under the conversation lock).
- `expire(engine, cutoff)`: whole conversations whose latest event is older than the cutoff.
  A conversation is deleted whole, never cut in half, so a tracker is never left without the
  events that set its slots.

    python -m bot.privacy retention [--days N] [--dry-run]   # RETENTION_DAYS, default 365

Only counts are printed or logged: never a sender id or a message.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Optional

import sqlalchemy as sa

EVENTS = sa.table("events", sa.column("sender_id"), sa.column("timestamp"))


def erase(engine: sa.engine.Engine, conversation_id: str) -> int:
    with engine.begin() as connection:
        result = connection.execute(sa.delete(EVENTS).where(EVENTS.c.sender_id == conversation_id))
        return int(result.rowcount or 0)


def expire(engine: sa.engine.Engine, cutoff: float, dry_run: bool = False) -> tuple[int, int]:
    """(conversations, events) deleted — or that would be, with `dry_run`."""
    latest = (sa.select(EVENTS.c.sender_id)
              .group_by(EVENTS.c.sender_id)
              .having(sa.func.max(EVENTS.c.timestamp) < cutoff))
    with engine.begin() as connection:
        if not sa.inspect(connection).has_table("events"):
            return 0, 0
        senders = [row[0] for row in connection.execute(latest)]
        events = 0
        for start in range(0, len(senders), 500):  # keep each IN list small
            chunk = senders[start:start + 500]
            if dry_run:
                events += connection.execute(sa.select(sa.func.count()).select_from(EVENTS)
                                             .where(EVENTS.c.sender_id.in_(chunk))).scalar_one()
            else:
                events += connection.execute(
                    sa.delete(EVENTS).where(EVENTS.c.sender_id.in_(chunk))).rowcount or 0
        return len(senders), int(events)


def tracker_engine(url: Optional[str] = None) -> sa.engine.Engine:
    from bot.settings import tracker_store_url

    return sa.create_engine(url or tracker_store_url(), future=True)


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.privacy")
    commands = parser.add_subparsers(dest="command", required=True)
    retention = commands.add_parser("retention", help="delete conversations past the retention period")
    retention.add_argument("--days", type=int, default=int(os.environ.get("RETENTION_DAYS", "365")))
    retention.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    if args.days < 1:
        parser.error("--days must be at least 1")
    cutoff = time.time() - args.days * 86400
    conversations, events = expire(tracker_engine(), cutoff, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"tracker store: {verb} {conversations} conversation(s), {events} event(s) "
          f"older than {args.days} days")
    return 0


if __name__ == "__main__":
    sys.exit(main())
