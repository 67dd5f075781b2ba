"""Who is offered first: previous worker, priority need, other needs, language, soonest slot."""
from __future__ import annotations

from typing import Any

from handoff_helpers import AUTH, book, slots_of


async def match(client: Any, **body: Any) -> list[dict[str, Any]]:
    response = await client.post("/api/v1/match", json=body, headers=AUTH)
    assert response.status == 200, await response.text()
    return (await response.json())["workers"]


async def test_worker_covering_the_priority_need_comes_first(client: Any) -> None:
    names = [w["name"] for w in await match(client, needs=["employment", "benefits"], max_workers=5)]
    assert names[0] == "Tomasz Nowak"
    assert "Amina Rahman" in names  # covers a secondary need


async def test_more_needs_covered_ranks_higher(client: Any) -> None:
    names = [w["name"] for w in await match(client, needs=["mental_health", "domestic_abuse"], max_workers=5)]
    assert names[:2] == ["Fatima Begum", "Daniel Hughes"]


async def test_language_breaks_ties_and_flags_interpreters(client: Any) -> None:
    workers = await match(client, needs=["benefits"], language="pl", max_workers=5)
    assert [w["name"] for w in workers[:2]] == ["Tomasz Nowak", "Amina Rahman"]
    assert workers[0]["interpreter_needed"] is False and workers[1]["interpreter_needed"] is True
    bengali = await match(client, needs=["benefits"], language="bn", max_workers=5)
    assert bengali[0]["name"] == "Amina Rahman"


async def test_previous_worker_comes_first(client: Any, workers: dict[str, int]) -> None:
    slot = (await slots_of(client, workers["amina"], "food_fuel"))[0]
    await book(client, workers["amina"], slot["start"], resident={"identity": "returning"})
    matched = await match(
        client, needs=["employment"], language="pl", resident={"channel": "rest", "identity": "returning"}, max_workers=5
    )
    assert matched[0]["name"] == "Amina Rahman" and matched[0]["previous"] is True
    assert matched[1]["name"] == "Tomasz Nowak" and matched[1]["previous"] is False


async def test_workers_who_cover_none_of_the_needs_are_not_offered(client: Any) -> None:
    names = {w["name"] for w in await match(client, needs=["immigration"], max_workers=10)}
    assert names == {"Grace Okafor"}


async def test_match_returns_the_public_worker_card_with_future_slots(client: Any) -> None:
    [worker] = await match(client, needs=["childcare"], max_slots=4)
    assert set(worker) == {
        "id", "name", "intro", "role", "needs", "languages", "modes", "location", "phone",
        "previous", "interpreter_needed", "slots",
    }
    assert worker["intro"].startswith("Fatima")
    starts = [s["start"] for s in worker["slots"]]
    assert len(starts) == 4 and starts == sorted(starts)
    assert all(s.endswith("+00:00") for s in starts)


async def test_modes_filter_workers(client: Any) -> None:
    names = {w["name"] for w in await match(client, needs=["mental_health"], modes=["face_to_face"], max_workers=10)}
    assert names == {"Fatima Begum"}  # Daniel works by phone and video only


async def test_unknown_need_is_rejected(client: Any) -> None:
    response = await client.post("/api/v1/match", json={"needs": ["rent"]}, headers=AUTH)
    assert response.status == 422
    assert (await response.json())["field"] == "needs.0"


async def test_empty_needs_offers_anyone_with_slots(client: Any) -> None:
    workers = await match(client, needs=[], max_workers=3)
    assert len(workers) == 3
