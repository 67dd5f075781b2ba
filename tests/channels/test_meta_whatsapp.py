"""WhatsApp through Meta's Cloud API: handshake, X-Hub-Signature-256, duplicates, interactive replies."""
from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any, Dict, List

import aiohttp
import pytest

from bot.channels.meta_whatsapp import MetaWhatsAppInput

from tests.channels.conftest import FAST_RETRIES

SECRET, VERIFY, ACCESS, NUMBER_ID = "app-secret", "verify-me", "access-token", "106540352242922"
WA_ID = "447700900123"

CONSENT = [{"text": "Is it OK if I note down what you tell me?",
            "buttons": [{"title": "Yes, that's fine", "payload": "/affirm"},
                        {"title": "No, just book me in", "payload": "/deny"}]}]


def meta_channel(store, provider, **overrides):
    settings = dict(app_secret=SECRET, verify_token=VERIFY, access_token=ACCESS,
                    phone_number_id=NUMBER_ID, api_base_url=provider.base + "/v19.0",
                    store=store, policy=FAST_RETRIES)
    settings.update(overrides)
    return MetaWhatsAppInput(**settings)


def notification(*messages: Dict[str, Any], statuses: List[Dict[str, Any]] = ()) -> Dict[str, Any]:
    value: Dict[str, Any] = {"messaging_product": "whatsapp",
                             "metadata": {"display_phone_number": "447700900001",
                                          "phone_number_id": NUMBER_ID},
                             "contacts": [{"profile": {"name": "Resident"}, "wa_id": WA_ID}]}
    if messages:
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "WABA_ID", "changes": [{"field": "messages", "value": value}]}]}


def text(body: str, wamid: str = "") -> Dict[str, Any]:
    return {"from": WA_ID, "id": wamid or f"wamid.{uuid.uuid4().hex}", "timestamp": "1700000000",
            "type": "text", "text": {"body": body}}


def button_reply(reply_id: str, title: str) -> Dict[str, Any]:
    return {"from": WA_ID, "id": f"wamid.{uuid.uuid4().hex}", "timestamp": "1700000000",
            "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}}}


async def post(served, payload, *, secret: str = SECRET, signature: str = None, raw: bytes = None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if signature is None:
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if signature:
        headers["X-Hub-Signature-256"] = signature
    async with aiohttp.ClientSession() as http:
        async with http.post(served.url("/webhooks/meta_whatsapp/webhook"), data=body,
                             headers=headers) as response:
            return response.status


async def test_verification_handshake(serve, store, provider):
    served = await serve(meta_channel(store, provider))
    url = served.url("/webhooks/meta_whatsapp/webhook")
    async with aiohttp.ClientSession() as http:
        params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
        async with http.get(url, params=params) as response:
            assert response.status == 200 and await response.text() == "1158201444"
        async with http.get(url, params=dict(params, **{"hub.verify_token": "wrong"})) as response:
            assert response.status == 403
        async with http.get(url, params=dict(params, **{"hub.mode": "unsubscribe"})) as response:
            assert response.status == 403


async def test_a_signed_message_is_answered_through_the_graph_api(serve, store, provider):
    channel = meta_channel(store, provider)
    served = await serve(channel)
    served.bot.script["hello"] = [{"text": "Hello, take your time."}]
    assert await post(served, notification(text("hello"))) == 200
    await channel.join()

    message = served.bot.received[0]
    assert (message.text, message.sender_id, message.input_channel) == (
        "hello", "whatsapp:+" + WA_ID, "meta_whatsapp")
    [call] = provider.calls
    assert call["path"] == f"/v19.0/{NUMBER_ID}/messages"
    assert call["authorization"] == f"Bearer {ACCESS}"
    assert call["json"] == {"messaging_product": "whatsapp", "recipient_type": "individual",
                            "to": WA_ID, "type": "text",
                            "text": {"body": "Hello, take your time.", "preview_url": False}}


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "wrong-secret", "sha1=abc"])
async def test_unsigned_or_forged_notifications_are_refused(serve, store, provider, signature):
    channel = meta_channel(store, provider)
    served = await serve(channel)
    payload = notification(text("hello", wamid="wamid.FORGED"))
    if signature == "wrong-secret":
        status = await post(served, payload, secret="not-the-secret")
    else:
        status = await post(served, payload, signature=signature)
    assert status == 403
    await channel.join()
    assert served.bot.received == [] and provider.calls == []
    assert await store.claim("meta_whatsapp", "wamid.FORGED")


async def test_a_signature_over_another_body_is_refused(serve, store, provider):
    channel = meta_channel(store, provider)
    served = await serve(channel)
    signed = json.dumps(notification(text("hello"))).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    tampered = signed.replace(b"hello", b"hullo")
    assert await post(served, None, raw=tampered, signature=signature) == 403
    assert served.bot.received == []


async def test_repeated_wamids_are_processed_once_and_statuses_ignored(serve, store, provider):
    channel = meta_channel(store, provider)
    served = await serve(channel)
    message = text("hello", wamid="wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhgg")
    for _ in range(3):
        assert await post(served, notification(message)) == 200
    status = {"id": "wamid.OUT1", "status": "delivered", "recipient_id": WA_ID}
    assert await post(served, notification(statuses=[status])) == 200
    await channel.join()
    assert served.bot.texts == ["hello"] and len(provider.calls) == 1


async def test_buttons_become_interactive_reply_buttons(serve, store, provider):
    channel = meta_channel(store, provider)
    served = await serve(channel)
    served.bot.script["rent"] = CONSENT
    await post(served, notification(text("rent")))
    await channel.join()
    interactive = provider.calls[-1]["json"]["interactive"]
    assert interactive["type"] == "button"
    assert interactive["body"] == {"text": "Is it OK if I note down what you tell me?"}
    buttons = interactive["action"]["buttons"]
    assert [b["reply"]["title"] for b in buttons] == ["Yes, that's fine", "No, just book me in"]
    assert all(len(b["reply"]["title"]) <= 20 and b["type"] == "reply" for b in buttons)

    await post(served, notification(button_reply(buttons[1]["reply"]["id"], "No, just book me in")))
    await channel.join()
    assert served.bot.texts[-1] == "/deny"


async def test_more_or_longer_choices_become_a_list(serve, store, provider):
    channel = meta_channel(store, provider)
    served = await serve(channel)
    times = [{"title": f"Tuesday {d} May at 10:00 with Amina", "payload":
              '/choose_slot{"slot_choice": "2026-05-%02dT10:00:00+01:00", "note": "%s"}' % (d, "x" * 200)}
             for d in range(1, 5)]
    served.bot.script["book"] = [{"text": "Which time suits you?", "buttons": times}]
    await post(served, notification(text("book")))
    await channel.join()
    interactive = provider.calls[-1]["json"]["interactive"]
    assert interactive["type"] == "list"
    rows = interactive["action"]["sections"][0]["rows"]
    assert len(rows) == 4 and all(len(r["title"]) <= 24 for r in rows)
    assert rows[0]["description"] == "Tuesday 1 May at 10:00 with Amina"
    assert len(interactive["action"]["button"]) <= 20
    assert rows[2]["id"] == "choice:3"  # the payload is too long for an id: resolved from the store

    await post(served, notification({"from": WA_ID, "id": "wamid.list", "type": "interactive",
                                     "interactive": {"type": "list_reply",
                                                     "list_reply": {"id": "choice:3", "title": "x"}}}))
    await channel.join()
    assert served.bot.texts[-1] == times[2]["payload"]


async def test_typed_number_and_stop_on_whatsapp(serve, store, provider):
    channel = meta_channel(store, provider)
    served = await serve(channel)
    served.bot.script["rent"] = CONSENT
    await post(served, notification(text("rent")))
    await channel.join()
    await post(served, notification(text("1")))
    await channel.join()
    assert served.bot.texts[-1] == "/affirm"

    await post(served, notification(text("STOP")))
    await channel.join()
    assert await store.is_opted_out("whatsapp:+" + WA_ID)
    sent = len(provider.calls)
    await post(served, notification(text("are you there?")))
    await channel.join()
    assert len(provider.calls) == sent and served.bot.texts[-1] == "/affirm"


async def test_media_gets_a_text_only_note_and_a_retry_after_500(serve, store, provider):
    channel = meta_channel(store, provider)
    served = await serve(channel)
    provider.fail_next = [500]
    image = {"from": WA_ID, "id": "wamid.img", "type": "image", "image": {"id": "1", "mime_type": "image/jpeg"}}
    await post(served, notification(image))
    await channel.join()
    assert served.bot.received == []
    assert [c["answered"] for c in provider.calls] == [500, 201]
    assert provider.calls[0]["json"] == provider.calls[1]["json"]
    assert "only read written messages" in provider.calls[1]["json"]["text"]["body"]


async def test_without_credentials_the_webhook_answers_503(serve, monkeypatch):
    for var in ("META_APP_SECRET", "META_VERIFY_TOKEN", "META_ACCESS_TOKEN", "META_PHONE_NUMBER_ID"):
        monkeypatch.delenv(var, raising=False)
    channel = MetaWhatsAppInput.from_credentials(None)
    served = await serve(channel)
    assert await post(served, notification(text("hello"))) == 503
    async with aiohttp.ClientSession() as http:
        async with http.get(served.url("/webhooks/meta_whatsapp/webhook"),
                            params={"hub.mode": "subscribe", "hub.verify_token": "",
                                    "hub.challenge": "1"}) as response:
            assert response.status == 503


REMINDER = {"text": "Hello, a reminder: you're seeing Amina tomorrow, Tuesday 24 November at 10:00 (phone).",
            "custom": {"whatsapp_template": {"kind": "reminder",
                                             "parameters": ["Amina", "Tuesday 24 November at 10:00"]}}}


async def test_a_reminder_goes_as_the_approved_template_named_by_the_setting(store, provider, monkeypatch):
    monkeypatch.setenv("WHATSAPP_REMINDER_TEMPLATE", "appointment_reminder")
    channel = meta_channel(store, provider)
    await channel.get_output_channel().send_response(f"whatsapp:+{WA_ID}", REMINDER)
    await channel.join()
    [call] = provider.delivered
    assert call["json"]["to"] == WA_ID and call["json"]["type"] == "template"
    template = call["json"]["template"]
    assert template["name"] == "appointment_reminder" and template["language"] == {"code": "en_GB"}
    assert [p["text"] for p in template["components"][0]["parameters"]] == [
        "Amina", "Tuesday 24 November at 10:00"]


async def test_without_a_template_setting_the_reminder_goes_as_text_and_says_why(
        store, provider, monkeypatch, caplog):
    monkeypatch.delenv("WHATSAPP_REMINDER_TEMPLATE", raising=False)
    channel = meta_channel(store, provider)
    await channel.get_output_channel().send_response(f"whatsapp:+{WA_ID}", REMINDER)
    await channel.join()
    [call] = provider.delivered
    assert call["json"]["type"] == "text" and call["json"]["text"]["body"] == REMINDER["text"]
    assert "WHATSAPP_REMINDER_TEMPLATE is not set" in caplog.text
