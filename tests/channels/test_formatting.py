"""Fitting replies to SMS and WhatsApp (pure functions)."""
from __future__ import annotations

import pytest

from bot.channels import formatting as f
from bot.channels.optout import keyword


def test_gsm7_replacements():
    text = "You’re “safe” here — it’s OK… 🙂👍🏽 Take\u00a0your time ❤️"
    folded = f.to_gsm7(text)
    assert folded == "You're \"safe\" here - it's OK... Take your time"
    assert f.is_gsm7(folded)


def test_other_scripts_are_kept_and_counted_as_ucs2():
    bengali = "আপনি কেমন আছেন?"
    assert f.to_gsm7(bengali) == bengali and not f.is_gsm7(bengali)
    assert f.sms_segments("আ" * 70) == 1 and f.sms_segments("আ" * 71) == 2


def test_segment_counting():
    assert f.sms_segments("a" * 160) == 1
    assert f.sms_segments("a" * 161) == 2
    assert f.sms_segments("a" * 306) == 2 and f.sms_segments("a" * 307) == 3
    assert f.sms_segments("a" * 459) == 3 and f.sms_segments("a" * 460) == 4
    assert f.sms_segments("€" * 80) == 1 and f.sms_segments("€" * 81) == 2  # two septets each


def test_long_texts_split_on_sentence_boundaries_within_three_segments():
    sentences = [f"Sentence {i} tells you something useful about your rent." for i in range(20)]
    bodies, _ = f.render_sms([{"text": " ".join(sentences)}])
    assert len(bodies) > 1
    for body in bodies:
        assert f.sms_segments(body) <= 3
        assert body.endswith(".") and body[0] == "S"  # whole sentences only
    assert " ".join(bodies) == " ".join(sentences)


def test_a_sentence_too_long_on_its_own_is_split_between_words():
    word_soup = " ".join(["word"] * 200)
    chunks = f.split_sentences(word_soup, lambda c: f.sms_segments(c) <= 3)
    assert all(f.sms_segments(c) <= 3 for c in chunks)
    assert " ".join(chunks) == word_soup


def test_numbered_choices():
    choices = [{"title": "Yes, that's fine", "payload": "/affirm"},
               {"title": "No, just book me in", "payload": "/deny"},
               {"title": "Tell me more", "payload": "/more"}]
    bodies, remembered = f.render_sms([{"text": "Is that OK?", "buttons": choices}])
    assert bodies == ['Is that OK?\n\nReply 1 for "Yes, that\'s fine", 2 for "No, just book me in" '
                      'or 3 for "Tell me more".']
    assert remembered == choices


@pytest.mark.parametrize("reply,payload", [
    ("2", "/deny"), (" 2. ", "/deny"), ("(1)", "/affirm"), ("yes please", "/affirm"),
    ("Yes, please!", "/affirm"), ("NO THANKS", "/deny"), ("4", None), ("0", None),
    ("yes please but I'm scared", None), ("yes", None), ("", None)])
def test_match_choice(reply, payload):
    choices = [{"title": "Yes please", "payload": "/affirm"}, {"title": "No thanks", "payload": "/deny"}]
    assert f.match_choice(reply, choices) == payload


def test_match_choice_without_choices():
    assert f.match_choice("2", []) is None and f.match_choice("2", None) is None


def test_whatsapp_reply_buttons_at_most_three_with_short_titles():
    buttons = [{"title": t, "payload": f"/p{i}"} for i, t in enumerate(["Phone", "Face to face", "Video"])]
    [message], _ = f.render_meta_whatsapp([{"text": "How would you like to meet?", "buttons": buttons}])
    assert message["interactive"]["type"] == "button"
    assert [b["reply"] for b in message["interactive"]["action"]["buttons"]] == [
        {"id": "/p0", "title": "Phone"}, {"id": "/p1", "title": "Face to face"}, {"id": "/p2", "title": "Video"}]


def test_whatsapp_list_for_four_to_ten_and_text_beyond():
    four = [{"title": f"Choice {i}", "payload": f"/p{i}"} for i in range(4)]
    [message], _ = f.render_meta_whatsapp([{"text": "Pick one", "buttons": four}])
    assert message["interactive"]["type"] == "list"
    assert len(message["interactive"]["action"]["sections"][0]["rows"]) == 4
    eleven = [{"title": f"Choice {i}", "payload": f"/p{i}"} for i in range(11)]
    [message], choices = f.render_meta_whatsapp([{"text": "Pick one", "buttons": eleven}])
    assert message["type"] == "text" and "11 for \"Choice 10\"" in message["text"]["body"]
    assert len(choices) == 11


def test_whatsapp_long_body_goes_before_the_buttons():
    text = " ".join(f"Sentence {i} is here to make this long enough." for i in range(60))
    buttons = [{"title": "Yes", "payload": "/affirm"}]
    messages, _ = f.render_meta_whatsapp([{"text": text, "buttons": buttons}])
    assert [m["type"] for m in messages][-1] == "interactive" and len(messages) >= 2
    assert len(messages[-1]["interactive"]["body"]["text"]) <= 1024
    assert all(len(m["text"]["body"]) <= 1024 for m in messages[:-1])


def test_choice_ids_resolve():
    choices = [{"title": "A", "payload": "/a"}, {"title": "B", "payload": "/b"}]
    assert f.resolve_choice_id("/b", choices) == "/b"
    assert f.resolve_choice_id("choice:2", choices) == "/b"
    assert f.resolve_choice_id("choice:9", choices) is None


@pytest.mark.parametrize("text,word", [
    ("STOP", "stop"), ("stop.", "stop"), ("Unsubscribe", "stop"), ("cancel", "stop"), ("END", "stop"),
    ("quit!", "stop"), ("start", "start"), ("UNSTOP", "start"), ("help", "help"),
    ("cancel my appointment", None), ("please stop", None), ("yes", None), ("helpful", None), ("", None)])
def test_keywords_only_when_the_whole_message(text, word):
    assert keyword(text) == word
