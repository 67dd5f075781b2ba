"""Handoff summaries: the GET contract, idempotency, consent, updates, urgent alerts, bad input."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from handoff.models import ConsentRecord, Handoff, UrgentAlert

from handoff_helpers import AUTH, book, slots_of

CONTRACT_KEYS = {
    "id", "conversation_id", "channel", "created_at", "presenting_issue", "needs", "priority_need", "urgent",
    "risks", "in_their_words", "what_they_want", "resident", "consent", "worker", "appointment",
}


def summary(conversation_id: str = "conv-1", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "conversation_id": conversation_id,
        "channel": "rest",
        "presenting_issue": "rent_arrears",
        "needs": [
            {"id": "benefits", "label": "benefits problems", "in_their_words": ["my Universal Credit stopped"]},
            "employment",
        ],
        "priority_need": "benefits",
        "urgent": False,
        "risks": [],
        "in_their_words": ["I'm three months behind on rent"],
        "what_they_want": "Get my benefits sorted",
        "already_asked": ["Do you have children?"],
        "resident": {"name": "Jo Bloggs", "contact": "07700 900123", "preferred_contact": "sms",
                     "safe_contact": "Text only; never call after 6pm", "language": "en", "access_needs": None},
        "consent": {"share_with_worker": True},
    }
    body.update(overrides)
    return body


async def count(db: Any, model: Any) -> int:
    async with db() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_get_handoffs_has_the_contract_shape(client: Any, workers: dict[str, int]) -> None:
    slot = (await slots_of(client, workers["amina"], "food_fuel"))[0]
    booking = await (await book(client, workers["amina"], slot["start"], conversation_id="conv-1")).json()
    created = await client.post("/api/v1/handoffs", json=summary(booking_id=booking["id"]), headers=AUTH)
    assert created.status == 201
    response = await client.get("/api/v1/handoffs", params={"conversation_id": "conv-1"}, headers=AUTH)
    assert response.status == 200
    [item] = await response.json()
    assert CONTRACT_KEYS <= set(item)
    assert item["conversation_id"] == "conv-1" and item["channel"] == "rest"
    assert item["created_at"].endswith("+00:00")
    assert item["presenting_issue"] == "rent_arrears" and item["priority_need"] == "benefits"
    assert item["needs"] == [
        {"id": "benefits", "label": "benefits problems", "in_their_words": ["my Universal Credit stopped"]},
        {"id": "employment", "label": "getting into work, more hours, better work", "in_their_words": []},
    ]
    assert item["urgent"] is False and item["risks"] == []
    assert item["in_their_words"] == ["I'm three months behind on rent"]
    assert item["what_they_want"] == "Get my benefits sorted"
    assert item["resident"] == {"name": "Jo Bloggs", "contact": "07700 900123", "preferred_contact": "sms", "language": "en"}
    assert item["consent"] == {"share_with_worker": True}
    assert item["worker"] == {"id": workers["amina"], "name": "Amina Rahman"}
    assert item["appointment"] == {"start": slot["start"], "end": slot["end"], "mode": "phone", "location": "By phone"}


async def test_handoff_without_booking_has_null_worker_and_appointment(client: Any) -> None:
    await client.post("/api/v1/handoffs", json=summary("conv-2"), headers=AUTH)
    [item] = await (await client.get("/api/v1/handoffs", params={"conversation_id": "conv-2"}, headers=AUTH)).json()
    assert item["worker"] is None and item["appointment"] is None


async def test_booking_made_after_the_summary_is_linked_to_it(client: Any, workers: dict[str, int]) -> None:
    await client.post("/api/v1/handoffs", json=summary("conv-3"), headers=AUTH)
    slot = (await slots_of(client, workers["grace"], "immigration"))[0]
    await book(client, workers["grace"], slot["start"], conversation_id="conv-3")
    [item] = await (await client.get("/api/v1/handoffs", params={"conversation_id": "conv-3"}, headers=AUTH)).json()
    assert item["worker"]["id"] == workers["grace"]


async def test_repeated_idempotency_key_stores_one_handoff(client: Any, db: Any) -> None:
    first = await client.post("/api/v1/handoffs", json=summary(idempotency_key="h-1"), headers=AUTH)
    again = await client.post("/api/v1/handoffs", json=summary(idempotency_key="h-1"), headers=AUTH)
    assert (first.status, again.status) == (201, 200)
    assert (await first.json())["id"] == (await again.json())["id"]
    assert await count(db, Handoff) == 1
    assert await count(db, ConsentRecord) == 1


async def test_without_consent_no_words_are_stored(client: Any, db: Any) -> None:
    body = summary("conv-4", consent={"share_with_worker": False}, risks=["eviction_imminent"])
    response = await client.post("/api/v1/handoffs", json=body, headers=AUTH)
    assert response.status == 201
    async with db() as session:
        stored = await session.scalar(select(Handoff))
    assert stored.in_their_words == [] and stored.needs == [] and stored.what_they_want is None
    assert stored.already_asked == [] and stored.presenting_issue is None
    # safeguarding and the booking's contact details are still kept
    assert stored.risks == ["eviction_imminent"] and stored.urgent is True
    assert stored.resident_safe_contact == "Text only; never call after 6pm"
    item = await response.json()
    assert item["in_their_words"] == [] and item["needs"] == [] and item["consent"] == {"share_with_worker": False}


async def test_withdrawing_consent_erases_the_story(client: Any, db: Any) -> None:
    created = await (await client.post("/api/v1/handoffs", json=summary("conv-5"), headers=AUTH)).json()
    response = await client.patch(
        f"/api/v1/handoffs/{created['id']}", json={"consent": {"share_with_worker": False}}, headers=AUTH
    )
    assert response.status == 200
    async with db() as session:
        stored = await session.get(Handoff, created["id"])
        consents = (await session.scalars(select(ConsentRecord.share_with_worker).order_by(ConsentRecord.id))).all()
    assert stored.in_their_words == [] and stored.needs == []
    assert consents == [True, False]


async def test_patch_merges_risks_and_urgency_only_rises(client: Any) -> None:
    created = await (await client.post("/api/v1/handoffs", json=summary("conv-6", risks=["no_food_or_heating"]), headers=AUTH)).json()
    assert created["urgent"] is True
    patched = await client.patch(
        f"/api/v1/handoffs/{created['id']}",
        json={"risks": ["homeless_tonight", "no_food_or_heating"], "urgent": False, "what_they_want": "A safe place"},
        headers=AUTH,
    )
    body = await patched.json()
    assert body["risks"] == ["no_food_or_heating", "homeless_tonight"]
    assert body["urgent"] is True
    assert body["what_they_want"] == "A safe place"
    assert body["in_their_words"] == ["I'm three months behind on rent"]  # untouched fields stay


async def test_patch_of_unknown_handoff_is_not_found(client: Any) -> None:
    response = await client.patch("/api/v1/handoffs/9999", json={"urgent": True}, headers=AUTH)
    assert response.status == 404
    assert (await response.json())["error"] == "not_found"


async def test_unknown_booking_id_is_not_found_and_nothing_is_written(client: Any, db: Any) -> None:
    response = await client.post("/api/v1/handoffs", json=summary(booking_id=424242), headers=AUTH)
    assert response.status == 404
    assert (await response.json())["field"] == "booking_id"
    assert await count(db, Handoff) == 0 and await count(db, ConsentRecord) == 0


async def test_unknown_need_id_is_rejected_with_the_field(client: Any, db: Any) -> None:
    response = await client.post("/api/v1/handoffs", json=summary(needs=["debt"]), headers=AUTH)
    assert response.status == 422
    body = await response.json()
    assert body["error"] == "invalid" and body["field"] == "needs.0.id" and body["detail"]
    assert await count(db, Handoff) == 0


async def test_missing_conversation_id_is_rejected(client: Any) -> None:
    body = summary()
    del body["conversation_id"]
    response = await client.post("/api/v1/handoffs", json=body, headers=AUTH)
    assert response.status == 422
    assert (await response.json())["field"] == "conversation_id"


async def test_malformed_json_is_a_400(client: Any, db: Any) -> None:
    response = await client.post("/api/v1/handoffs", data=b'{"conversation_id": ', headers={**AUTH, "Content-Type": "application/json"})
    assert response.status == 400
    assert (await response.json())["error"] == "malformed_json"
    assert await count(db, Handoff) == 0


async def test_a_json_array_body_is_rejected(client: Any) -> None:
    response = await client.post("/api/v1/handoffs", json=[summary()], headers=AUTH)
    assert response.status == 422


async def test_oversize_text_is_a_413_and_nothing_is_written(client: Any, db: Any) -> None:
    response = await client.post("/api/v1/handoffs", json=summary(what_they_want="x" * 2001), headers=AUTH)
    assert response.status == 413
    body = await response.json()
    assert body["error"] == "too_large" and body["field"] == "what_they_want"
    assert await count(db, Handoff) == 0


async def test_oversize_body_is_a_413(client: Any) -> None:
    response = await client.post("/api/v1/handoffs", json=summary(in_their_words=["y" * 1990] * 200), headers=AUTH)
    assert response.status == 413
    assert (await response.json())["error"] == "too_large"


async def test_api_requires_the_token(client: Any) -> None:
    missing = await client.get("/api/v1/handoffs", params={"conversation_id": "x"})
    wrong = await client.get("/api/v1/handoffs", params={"conversation_id": "x"}, headers={"Authorization": "Bearer nope"})
    assert (missing.status, wrong.status) == (401, 401)
    assert (await missing.json())["error"] == "unauthorized"
    assert (await client.get("/api/v1/health")).status == 200


async def test_unknown_api_route_is_a_json_404(client: Any) -> None:
    response = await client.get("/api/v1/nothing-here", headers=AUTH)
    assert response.status == 404
    assert (await response.json())["error"] == "not_found"


async def test_urgent_alerts_the_duty_worker_once_per_conversation(
    client: Any, workers: dict[str, int], settings: Any, db: Any, job_runner: Any
) -> None:
    body = {"conversation_id": "conv-9", "channel": "rest", "risks": ["homeless_tonight"], "callback_requested": True}
    first = await client.post("/api/v1/urgent", json=body, headers=AUTH)
    again = await client.post("/api/v1/urgent", json=body, headers=AUTH)
    assert (first.status, again.status) == (201, 201)
    one, two = await first.json(), await again.json()
    assert one == two
    assert one["duty_worker"] == {"id": workers["fatima"], "name": "Fatima Begum"}
    assert await count(db, Handoff) == 1 and await count(db, UrgentAlert) == 1
    await job_runner.run_until_idle()
    emails = list((settings.data_dir / "outbox").glob("*.eml"))
    assert len(emails) == 1
    assert f"/handoffs/{one['handoff_id']}" in emails[0].read_text()
    more = await client.post("/api/v1/urgent", json={**body, "risks": ["suicide_self_harm"]}, headers=AUTH)
    [item] = await (await client.get("/api/v1/handoffs", params={"conversation_id": "conv-9"}, headers=AUTH)).json()
    assert (await more.json())["handoff_id"] == one["handoff_id"]
    assert item["urgent"] is True and item["risks"] == ["homeless_tonight", "suicide_self_harm"]
    await job_runner.run_until_idle()
    assert len(list((settings.data_dir / "outbox").glob("*.eml"))) == 2  # new risk, new alert


async def test_urgent_updates_the_existing_summary(client: Any, db: Any) -> None:
    created = await (await client.post("/api/v1/handoffs", json=summary("conv-10"), headers=AUTH)).json()
    response = await client.post("/api/v1/urgent", json={"conversation_id": "conv-10", "risks": ["child_at_risk"]}, headers=AUTH)
    assert (await response.json())["handoff_id"] == created["id"]
    assert await count(db, Handoff) == 1


async def test_urgent_with_an_unknown_risk_is_rejected(client: Any, db: Any) -> None:
    response = await client.post("/api/v1/urgent", json={"conversation_id": "c", "risks": ["sad"]}, headers=AUTH)
    assert response.status == 422
    assert (await response.json())["field"] == "risks.0"
    assert await count(db, Handoff) == 0
