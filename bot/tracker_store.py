"""Rasa's SQL tracker store, made to ride out a database restart (endpoints.yml names it).

Rasa 3.6's SQLTrackerStore keeps pooled connections without checking them, so after a
PostgreSQL restart each stale connection fails once; and Rasa wraps every store in a
FailSafeTrackerStore that, when a save fails, logs it and keeps the turn in memory only: the
resident got a reply, but the turn is lost from the shared tracker store (`make bench` measured
this). Here connections are checked before use (`pool_pre_ping`), and reads and saves are
retried with back-off for up to RETRY_SECONDS before the error reaches Rasa. A save is one
transaction that only adds the events not yet stored, so retrying it stores them once.
Same settings as before (TRACKER_STORE_URL, any SQLAlchemy URL), SQLite or PostgreSQL.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Iterable, Optional, Text, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import DBAPIError, OperationalError

logger = logging.getLogger(__name__)

RETRY_SECONDS = 20.0
T = TypeVar("T")


class ResilientSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def _retrying(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        deadline, wait = time.monotonic() + RETRY_SECONDS, 0.2
        while True:
            try:
                return await call()
            except DBAPIError as error:
                lost = isinstance(error, OperationalError) or error.connection_invalidated
                if not lost or time.monotonic() + wait > deadline:  # a real SQL error: no retry
                    raise
                logger.warning("tracker store: %s failed (%s); retrying in %.1f s",
                               what, type(error.orig).__name__ if error.orig else "error", wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, 2.0)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self._retrying("save", lambda: super(ResilientSQLTrackerStore, self).save(tracker))

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self._retrying(
            "retrieve", lambda: super(ResilientSQLTrackerStore, self).retrieve(sender_id))

    async def retrieve_full_tracker(self, conversation_id: Text) -> Optional[DialogueStateTracker]:
        return await self._retrying(
            "retrieve", lambda: super(ResilientSQLTrackerStore, self).retrieve_full_tracker(
                conversation_id))

    async def keys(self) -> Iterable[Text]:
        return await self._retrying("keys", lambda: super(ResilientSQLTrackerStore, self).keys())
