"""Twilio SMS and WhatsApp: signatures, duplicates, order, retries, numbered choices, keywords."""
from __future__ import annotations

import json
import base64
import uuid
from typing import Dict

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from bot.channels.formatting import sms_segments
from bot.channels.messaging import Incoming
from bot.channels.twilio_messaging import EMPTY_TWIML, TwilioSmsInput, TwilioWhatsAppInput

from tests.channels.conftest import FAST_RETRIES

SID = "AC" + "1" * 32
TOKEN = "test-auth-token"
PUBLIC = "https://advice.example.org"
RESIDENT = "+447700900123"

CONSENT = [{"text": "Is it OK if I note down what you tell me?",
            "buttons": [{"title": "Yes please", "payload": "/affirm"},
                        {"title": "No, just book me in", "payload": "/deny"}]}]


def sms_channel(store, provider, cls=TwilioSmsInput, from_="+447700900000"):
    return cls(account_sid=SID, auth_token=TOKEN, from_=from_, webhook_base_url=PUBLIC,
               api_base_url=provider.base, store=store, policy=FAST_RETRIES)


def inbound(body: str, sender: str = RESIDENT, sid: str = "") -> Dict[str, str]:
    return {"MessageSid": sid or "SM" + uuid.uuid4().hex, "AccountSid": SID, "From": sender,
            "To": "+447700900000", "Body": body, "NumMedia": "0", "FromCountry": "GB",
            "FromCity": ""}


async def deliver(served, channel, form, *, token: str = TOKEN, signature: str = None,
                  public: str = PUBLIC):
    path = f"/webhooks/{channel.name()}/webhook"
    headers = {}
    if signature is None:
        signature = RequestValidator(token).compute_signature(public + path, form)
    if signature:
        headers["X-Twilio-Signature"] = signature
    async with aiohttp.ClientSession() as http:
        async with http.post(served.url(path), data=form, headers=headers) as response:
            return response.status, await response.text(), response.headers.get("Content-Type", "")


async def test_signed_message_is_answered_through_the_messages_api(serve, store, provider):
    channel = sms_channel(store, provider)
    served = await serve(channel)
    served.bot.script["hello"] = [{"text": "Hello, I’m here to help — take your time…"}]

    status, body, content_type = await deliver(served, channel, inbound("hello"))
    assert status == 200 and body == EMPTY_TWIML and content_type.startswith("text/xml")
    await channel.join()

    message = served.bot.received[0]
    assert (message.text, message.sender_id, message.input_channel) == ("hello", RESIDENT, "twilio_sms")
    [call] = provider.calls
    assert call["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert call["authorization"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert call["content_type"] == "application/x-www-form-urlencoded"
    assert call["form"] == {"To": RESIDENT, "From": "+447700900000",
                            "Body": "Hello, I'm here to help - take your time..."}


@pytest.mark.parametrize("signature", ["", "forged", "use-wrong-token", "use-wrong-url"])
async def test_unsigned_or_forged_requests_are_refused_and_not_processed(serve, store, provider, signature):
    channel = sms_channel(store, provider)
    served = await serve(channel)
    form = inbound("hello")
    if signature == "forged":
        signature = base64.b64encode(b"x" * 20).decode()
    elif signature == "use-wrong-token":
        signature = RequestValidator("another-token").compute_signature(
            PUBLIC + "/webhooks/twilio_sms/webhook", form)
    elif signature == "use-wrong-url":
        signature = RequestValidator(TOKEN).compute_signature(
            "https://evil.example.com/webhooks/twilio_sms/webhook", form)
    status, body, _ = await deliver(served, channel, form, signature=signature)
    assert status == 403
    await channel.join()
    assert served.bot.received == [] and provider.calls == []
    assert await store.claim("twilio_sms", form["MessageSid"])  # not even marked as seen


async def test_a_tampered_body_is_refused(serve, store, provider):
    channel = sms_channel(store, provider)
    served = await serve(channel)
    form = inbound("hello")
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + "/webhooks/twilio_sms/webhook", form)
    status, _, _ = await deliver(served, channel, dict(form, Body="something else"), signature=signature)
    assert status == 403 and served.bot.received == []


async def test_repeated_deliveries_are_processed_once(serve, store, provider):
    channel = sms_channel(store, provider)
    served = await serve(channel)
    form = inbound("hello", sid="SM" + "a" * 32)
    for _ in range(3):
        status, body, _ = await deliver(served, channel, form)
        assert status == 200 and body == EMPTY_TWIML
    await channel.join()
    assert served.bot.texts == ["hello"]
    assert len(provider.calls) == 1


async def test_the_seen_ids_are_shared_between_instances(serve, store, provider):
    """Two Rasa instances on one database: a redelivery to the other one is still a repeat."""
    first, second = sms_channel(store, provider), sms_channel(store.__class__(str(store.engine.url)), provider)
    served_first, served_second = await serve(first), await serve(second)
    form = inbound("hello")
    await deliver(served_first, first, form)
    await deliver(served_second, second, form)
    await first.join()
    await second.join()
    assert served_first.bot.texts == ["hello"] and served_second.bot.texts == []


async def test_replies_are_sent_in_order_with_a_retry_after_a_server_error(serve, store, provider):
    channel = sms_channel(store, provider)
    served = await serve(channel)
    served.bot.default = lambda text: [{"text": f"{text} one."}]
    served.bot.script["a"] = [{"text": "First. " + "x " * 300}, {"text": "Last."}]
    provider.fail_next = [500, 503]

    await deliver(served, channel, inbound("a"))
    await deliver(served, channel, inbound("b"))
    await deliver(served, channel, inbound("c"))
    await channel.join()

    assert [c["answered"] for c in provider.calls][:3] == [500, 503, 201]
    bodies = [c["form"]["Body"] for c in provider.delivered]
    assert bodies[0].startswith("First.")
    assert bodies[-3].endswith("Last.") and bodies[-2:] == ["b one.", "c one."]
    assert len(bodies) >= 4 and all(sms_segments(b) <= 3 for b in bodies)
    assert provider.calls[0]["form"] == provider.calls[2]["form"]  # the same message, retried
    assert channel.outbound.sent == len(bodies) and channel.outbound.failed == 0


async def test_a_refused_message_is_not_retried(serve, store, provider):
    channel = sms_channel(store, provider)
    served = await serve(channel)
    provider.fail_next = [400]
    await deliver(served, channel, inbound("hello"))
    await channel.join()
    assert len(provider.calls) == 1 and channel.outbound.failed == 1


async def test_buttons_become_numbered_choices_and_a_number_or_the_words_select_them(serve, store, provider):
    channel = sms_channel(store, provider)
    served = await serve(channel)
    served.bot.script["I'm in rent arrears"] = CONSENT

    await deliver(served, channel, inbound("I'm in rent arrears"))
    await channel.join()
    assert provider.calls[-1]["form"]["Body"] == (
        'Is it OK if I note down what you tell me?\n\n'
        'Reply 1 for "Yes please", 2 for "No, just book me in".')

    await deliver(served, channel, inbound("2"))
    await channel.join()
    assert served.bot.texts[-1] == "/deny"


async def test_the_choice_s_words_select_it_on_another_instance(serve, store, provider):
    first = sms_channel(store, provider)
    other = sms_channel(store.__class__(str(store.engine.url)), provider)
    served_first, served_other = await serve(first), await serve(other)
    served_first.bot.script["rent"] = CONSENT
    await deliver(served_first, first, inbound("rent"))
    await first.join()

    await deliver(served_other, other, inbound("  yes PLEASE! "))
    await other.join()
    assert served_other.bot.texts == ["/affirm"]


async def test_longer_replies_and_stale_numbers_go_to_the_bot_as_written(serve, store, provider):
    channel = sms_channel(store, provider)
    served = await serve(channel)
    served.bot.script["rent"] = CONSENT
    await deliver(served, channel, inbound("rent"))
    await channel.join()
    await deliver(served, channel, inbound("yes please, but I have nowhere to sleep tonight"))
    await channel.join()
    assert served.bot.texts[-1] == "yes please, but I have nowhere to sleep tonight"
    await deliver(served, channel, inbound("2"))  # the last turn offered no buttons
    await channel.join()
    assert served.bot.texts[-1] == "2"


async def test_stop_start_and_help(serve, store, provider, monkeypatch):
    monkeypatch.setenv("SERVICE_PHONE", "020 7946 0999")
    channel = sms_channel(store, provider)
    served = await serve(channel)

    await deliver(served, channel, inbound("Stop"))
    await channel.join()
    assert "START" in provider.calls[-1]["form"]["Body"]  # the one confirmation
    assert await store.is_opted_out(RESIDENT)

    sent = len(provider.calls)
    await deliver(served, channel, inbound("hello again"))
    await channel.join()
    assert served.bot.received == [] and len(provider.calls) == sent  # nothing more

    await deliver(served, channel, inbound("START"))
    await channel.join()
    assert not await store.is_opted_out(RESIDENT)
    assert "Welcome back" in provider.calls[-1]["form"]["Body"]

    await deliver(served, channel, inbound("help"))
    await channel.join()
    assert "020 7946 0999" in provider.calls[-1]["form"]["Body"]
    assert served.bot.received == []

    await deliver(served, channel, inbound("cancel my appointment"))
    await channel.join()
    assert served.bot.texts == ["cancel my appointment"]
    assert not await store.is_opted_out(RESIDENT)


@pytest.mark.parametrize("word", ["UNSUBSCRIBE", "cancel", "End", "quit.", " STOP "])
async def test_other_stop_words(serve, store, provider, word):
    channel = sms_channel(store, provider)
    served = await serve(channel)
    await deliver(served, channel, inbound(word))
    await channel.join()
    assert await store.is_opted_out(RESIDENT) and served.bot.received == []


async def test_replies_queued_before_stop_are_not_sent(serve, store, provider):
    channel = sms_channel(store, provider)
    await serve(channel)
    await store.set_opted_out(RESIDENT, True)
    channel.send(RESIDENT, channel.render(RESIDENT, [{"text": "late reply"}])[0])
    await channel.join()
    assert provider.calls == []


async def test_whatsapp_through_twilio(serve, store, provider):
    channel = sms_channel(store, provider, cls=TwilioWhatsAppInput, from_="+447700900001")
    served = await serve(channel)
    served.bot.script["hi"] = [{"text": "Hello 🙂 — welcome."}] + CONSENT
    await deliver(served, channel, inbound("hi", sender="whatsapp:" + RESIDENT))
    await channel.join()
    assert served.bot.received[0].sender_id == "whatsapp:" + RESIDENT
    [call] = provider.calls
    assert call["form"]["To"] == "whatsapp:" + RESIDENT
    assert call["form"]["From"] == "whatsapp:+447700900001"
    assert call["form"]["Body"].startswith("Hello 🙂 — welcome.")  # no SMS folding on WhatsApp
    assert call["form"]["Body"].endswith('Reply 1 for "Yes please", 2 for "No, just book me in".')


async def test_messaging_service_sid_as_sender(serve, store, provider):
    channel = sms_channel(store, provider, from_="MG" + "2" * 32)
    served = await serve(channel)
    await deliver(served, channel, inbound("hello"))
    await channel.join()
    assert provider.calls[0]["form"]["MessagingServiceSid"] == "MG" + "2" * 32
    assert "From" not in provider.calls[0]["form"]


async def test_without_credentials_the_webhook_answers_503(serve, monkeypatch, caplog):
    for var in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_SMS_FROM"):
        monkeypatch.delenv(var, raising=False)
    channel = TwilioSmsInput.from_credentials(None)
    assert "twilio_sms" in caplog.text and "503" in caplog.text
    served = await serve(channel)
    status, _, _ = await deliver(served, channel, inbound("hello"), signature="x")
    assert status == 503 and served.bot.received == []


async def test_settings_come_from_the_environment_and_nothing_personal_is_logged(
        serve, store, provider, monkeypatch, caplog):
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("TWILIO_SMS_FROM", "+447700900000")
    monkeypatch.setenv("TWILIO_WEBHOOK_BASE_URL", PUBLIC + "/")
    monkeypatch.setenv("TWILIO_API_BASE_URL", provider.base)
    caplog.set_level("DEBUG")
    channel = TwilioSmsInput.from_credentials(None)
    channel._store, channel.outbound.policy = store, FAST_RETRIES
    served = await serve(channel)
    provider.fail_next = [429]
    form = inbound("my secret story")
    await deliver(served, channel, form)
    await channel.join()
    assert served.bot.texts == ["my secret story"] and len(provider.delivered) == 1
    assert form["MessageSid"] in caplog.text
    for secret in ("secret story", RESIDENT, "7700900123", TOKEN):
        assert secret not in caplog.text


async def test_the_bot_failing_gets_an_apology_not_silence(serve, store, provider):
    channel = sms_channel(store, provider)

    async def broken(message):
        raise RuntimeError("model not loaded")

    await channel.accept(Incoming(message_id="SMbroken", sender_id=RESIDENT, text="hi"), broken)
    await channel.join()
    assert "Sorry, something went wrong" in provider.calls[-1]["form"]["Body"]


async def test_proactive_messages_go_out_formatted_and_remember_their_buttons(serve, store, provider):
    channel = sms_channel(store, provider)
    await channel.get_output_channel().send_response(RESIDENT, CONSENT[0])
    await channel.join()
    assert provider.calls[-1]["form"]["Body"].endswith('2 for "No, just book me in".')
    assert await store.get_choices(RESIDENT) == CONSENT[0]["buttons"]


async def test_queued_replies_are_sent_before_the_server_stops(serve, store, provider):
    channel = sms_channel(store, provider)
    served = await serve(channel)
    served.bot.delay = 0.3
    await deliver(served, channel, inbound("hello"))
    assert provider.calls == []
    await served.server.before_stop()  # what Sanic runs when Rasa is stopped
    assert provider.delivered and provider.delivered[-1]["form"]["Body"] == "You said: hello"


REMINDER = {"text": "Hello, a reminder: you're seeing Amina tomorrow, Tuesday 24 November at 10:00 (phone).",
            "custom": {"whatsapp_template": {"kind": "reminder",
                                             "parameters": ["Amina", "Tuesday 24 November at 10:00"]}}}


async def test_a_whatsapp_reminder_uses_the_content_template_setting(store, provider, monkeypatch):
    monkeypatch.setenv("TWILIO_WHATSAPP_REMINDER_CONTENT_SID", "HX" + "0" * 32)
    channel = sms_channel(store, provider, cls=TwilioWhatsAppInput, from_="+447700900001")
    await channel.get_output_channel().send_response("whatsapp:" + RESIDENT, REMINDER)
    await channel.join()
    [call] = provider.delivered
    assert call["form"]["ContentSid"] == "HX" + "0" * 32 and "Body" not in call["form"]
    assert json.loads(call["form"]["ContentVariables"]) == {"1": "Amina", "2": "Tuesday 24 November at 10:00"}


async def test_an_sms_reminder_is_plain_text_whatever_the_whatsapp_settings(store, provider, monkeypatch):
    monkeypatch.setenv("TWILIO_WHATSAPP_REMINDER_CONTENT_SID", "HX" + "0" * 32)
    channel = sms_channel(store, provider)
    await channel.get_output_channel().send_response(RESIDENT, REMINDER)
    await channel.join()
    [call] = provider.delivered
    assert call["form"]["Body"] == REMINDER["text"] and "ContentSid" not in call["form"]
