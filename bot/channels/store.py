"""The channels' shared state, so several Rasa instances agree on it.

- seen message ids (MessageSid / wamid), for processing repeated deliveries once;
- opted-out contacts (STOP) and the last buttons offered to each contact (numbered choices).

Backends: Redis when `REDIS_URL` is set, else small tables in the SQL database of
`TRACKER_STORE_URL` (SQLAlchemy 1.4; a unique constraint makes the first insert win). Contacts
are keyed by a SHA-256 hash of their channel identity: no phone number is stored in clear here.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import os
import threading
from typing import Any, Dict, List

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.channels.formatting import Choice

logger = logging.getLogger(__name__)

SEEN_TTL = dt.timedelta(days=7)      # provider retries come within minutes; keep a week
CHOICES_TTL = dt.timedelta(days=7)   # "2" a few days later still means the second button


def contact_key(identity: str) -> str:
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class ChannelStore:
    """Interface (all async)."""

    async def claim(self, channel: str, message_id: str) -> bool:
        """True the first time a message id is seen on a channel, False afterwards."""
        raise NotImplementedError

    async def is_opted_out(self, identity: str) -> bool:
        raise NotImplementedError

    async def set_opted_out(self, identity: str, opted_out: bool) -> None:
        raise NotImplementedError

    async def get_choices(self, identity: str) -> List[Choice]:
        raise NotImplementedError

    async def set_choices(self, identity: str, choices: List[Choice]) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        pass


metadata = sa.MetaData()
seen_messages = sa.Table(
    "channel_seen_messages", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("message_id", sa.String(255), nullable=False),
    sa.Column("seen_at", sa.DateTime, nullable=False, index=True),
    sa.UniqueConstraint("channel", "message_id", name="uq_channel_seen_message"),
)
contacts = sa.Table(
    "channel_contacts", metadata,
    sa.Column("contact", sa.String(64), primary_key=True),  # sha256 of the channel identity
    sa.Column("opted_out", sa.Boolean, nullable=False, default=False),
    sa.Column("choices", sa.Text, nullable=True),           # JSON list of {"title","payload"}
    sa.Column("choices_at", sa.DateTime, nullable=True),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)


class SQLChannelStore(ChannelStore):
    """Tables in an SQL database; blocking calls run in the default executor."""

    PRUNE_EVERY = 500  # claims between deletions of old seen ids

    def __init__(self, url: str) -> None:
        kwargs: Dict[str, Any] = {"future": True, "pool_pre_ping": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        self.engine = sa.create_engine(url, **kwargs)
        self._ready = False
        self._lock = threading.Lock()
        self._claims = 0

    def _ensure_tables(self) -> None:
        if self._ready:
            return
        with self._lock:
            if not self._ready:
                try:
                    metadata.create_all(self.engine, checkfirst=True)
                except sa.exc.SQLAlchemyError:
                    # another instance may have created them at the same moment
                    metadata.create_all(self.engine, checkfirst=True)
                self._ready = True

    async def _run(self, fn, *args):
        def call():
            self._ensure_tables()
            return fn(*args)
        return await asyncio.get_running_loop().run_in_executor(None, call)

    # -- seen ids
    def _claim(self, channel: str, message_id: str) -> bool:
        now = _now()
        try:
            with self.engine.begin() as connection:
                connection.execute(seen_messages.insert().values(
                    channel=channel, message_id=message_id[:255], seen_at=now))
        except IntegrityError:
            return False
        self._claims += 1
        if self._claims % self.PRUNE_EVERY == 1:
            with self.engine.begin() as connection:
                connection.execute(seen_messages.delete().where(seen_messages.c.seen_at < now - SEEN_TTL))
        return True

    async def claim(self, channel: str, message_id: str) -> bool:
        return await self._run(self._claim, channel, message_id)

    # -- contacts
    def _row(self, identity: str):
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(contacts).where(contacts.c.contact == contact_key(identity))).first()

    def _upsert(self, identity: str, values: Dict[str, Any]) -> None:
        key = contact_key(identity)
        values = dict(values, updated_at=_now())
        for _ in range(2):
            with self.engine.begin() as connection:
                if connection.execute(
                        contacts.update().where(contacts.c.contact == key).values(**values)).rowcount:
                    return
            try:
                with self.engine.begin() as connection:
                    connection.execute(contacts.insert().values(
                        contact=key, **dict({"opted_out": False}, **values)))
                return
            except IntegrityError:
                continue  # inserted concurrently by another instance: update it

    async def is_opted_out(self, identity: str) -> bool:
        row = await self._run(self._row, identity)
        return bool(row and row.opted_out)

    async def set_opted_out(self, identity: str, opted_out: bool) -> None:
        await self._run(self._upsert, identity, {"opted_out": opted_out})

    async def get_choices(self, identity: str) -> List[Choice]:
        row = await self._run(self._row, identity)
        if not row or not row.choices or not row.choices_at or row.choices_at < _now() - CHOICES_TTL:
            return []
        try:
            return list(json.loads(row.choices))
        except ValueError:
            return []

    async def set_choices(self, identity: str, choices: List[Choice]) -> None:
        await self._run(self._upsert, identity, {
            "choices": json.dumps(choices) if choices else None,
            "choices_at": _now() if choices else None})

    async def close(self) -> None:
        self.engine.dispose()


class RedisChannelStore(ChannelStore):
    PREFIX = "triage:channels:"

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis_asyncio

        self.redis = redis_asyncio.from_url(url)

    async def claim(self, channel: str, message_id: str) -> bool:
        key = f"{self.PREFIX}seen:{channel}:{message_id}"
        return bool(await self.redis.set(key, "1", nx=True, ex=int(SEEN_TTL.total_seconds())))

    async def is_opted_out(self, identity: str) -> bool:
        return bool(await self.redis.exists(f"{self.PREFIX}optout:{contact_key(identity)}"))

    async def set_opted_out(self, identity: str, opted_out: bool) -> None:
        key = f"{self.PREFIX}optout:{contact_key(identity)}"
        if opted_out:
            await self.redis.set(key, "1")
        else:
            await self.redis.delete(key)

    async def get_choices(self, identity: str) -> List[Choice]:
        raw = await self.redis.get(f"{self.PREFIX}choices:{contact_key(identity)}")
        try:
            return list(json.loads(raw)) if raw else []
        except ValueError:
            return []

    async def set_choices(self, identity: str, choices: List[Choice]) -> None:
        key = f"{self.PREFIX}choices:{contact_key(identity)}"
        if choices:
            await self.redis.set(key, json.dumps(choices), ex=int(CHOICES_TTL.total_seconds()))
        else:
            await self.redis.delete(key)

    async def close(self) -> None:
        await self.redis.close()


_stores: Dict[str, ChannelStore] = {}


def default_store() -> ChannelStore:
    """One store per process, from REDIS_URL or else TRACKER_STORE_URL (created lazily: nothing
    connects until the first message arrives)."""
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        key = "redis:" + redis_url
        if key not in _stores:
            _stores[key] = RedisChannelStore(redis_url)
        return _stores[key]
    from bot import settings

    url = settings.tracker_store_url()
    if url not in _stores:
        _stores[url] = SQLChannelStore(url)
    return _stores[url]

