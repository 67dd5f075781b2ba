"""Rasa's side of erasure and retention, on a real SQL tracker store (SQLite here; the e2e tests
run the erase endpoint on PostgreSQL too)."""
from __future__ import annotations

import time

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import privacy

DOMAIN = Domain.from_yaml("slots:\n  needs:\n    type: list\n    mappings: [{type: custom}]\n")


@pytest.fixture
def store(tmp_path):
    return SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))


async def save(store, sender: str, when: float, texts=("hello", "my uc stopped")) -> None:
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for text in texts:
        tracker.update(UserUttered(text, timestamp=when))
    tracker.update(SlotSet("needs", ["benefits"], timestamp=when))
    await store.save(tracker)


async def test_erase_removes_every_event_of_that_conversation_only(store):
    await save(store, "whatsapp:+447700900123", time.time())
    await save(store, "someone-else", time.time())
    assert privacy.erase(store.engine, "whatsapp:+447700900123") == 3
    assert await store.retrieve("whatsapp:+447700900123") is None
    kept = await store.retrieve("someone-else")
    assert [e.text for e in kept.events if isinstance(e, UserUttered)] == ["hello", "my uc stopped"]
    assert privacy.erase(store.engine, "whatsapp:+447700900123") == 0  # twice is fine


async def test_retention_deletes_whole_conversations_past_the_cutoff(store):
    old, recent = time.time() - 400 * 86400, time.time() - 5 * 86400
    await save(store, "old", old)
    await save(store, "recent", recent)
    # a conversation that started long ago but carried on recently is kept whole
    await save(store, "ongoing", old)
    ongoing = await store.retrieve_full_tracker("ongoing")
    ongoing.update(UserUttered("still here", timestamp=recent))
    await store.save(ongoing)

    cutoff = time.time() - 365 * 86400
    assert privacy.expire(store.engine, cutoff, dry_run=True) == (1, 3)
    assert await store.retrieve("old") is not None  # a dry run deletes nothing
    assert privacy.expire(store.engine, cutoff) == (1, 3)
    assert await store.retrieve("old") is None
    assert await store.retrieve("recent") is not None
    assert len((await store.retrieve_full_tracker("ongoing")).events) == 4


def test_the_retention_command_prints_counts_never_ids(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    assert privacy.main(["retention", "--days", "30"]) == 0
    assert capsys.readouterr().out.strip() == (
        "tracker store: deleted 0 conversation(s), 0 event(s) older than 30 days")
    with pytest.raises(SystemExit):
        privacy.main(["retention", "--days", "0"])
