"""Reading how a resident can be reached safely from their own words."""
import pytest

from actions import contact


@pytest.mark.parametrize("text, phone", [
    ("07700 900123", "07700900123"), ("call me on +44 7700 900123 pls", "+447700900123"),
    ("my number is 020 7946 0999", "02079460999"),
])
def test_a_phone_number_is_found_in_plain_words(text, phone):
    assert contact.parse(text).phone == phone


def test_an_email_is_found():
    assert contact.parse("email is sam.k+advice@example.com thanks").email == "sam.k+advice@example.com"


@pytest.mark.parametrize("text, avoid", [
    ("don't text me, he reads my phone", ["text"]),
    ("please dont ring me at home, email only", ["call"]),
    ("he goes through my messages", ["text"]),
    ("07700900123 is fine", []),
])
def test_unsafe_ways_to_reach_someone_are_recorded(text, avoid):
    assert contact.parse(text).avoid == avoid


def test_the_safe_contact_note_says_what_never_to_use():
    assert contact.safe_note(["text", "letter"]) == "Do not text; do not send letters"
    assert contact.safe_note([]) is None


@pytest.mark.parametrize("text, avoid, when", [
    ("07700 900456, texts are fine but dont call before 10am", [], ["do not call before 10am"]),
    ("dont ring me at work", [], ["do not call at work"]),
    ("don't call me, he's always home", ["call"], []),
])
def test_a_time_to_avoid_is_not_a_channel_never_to_use(text, avoid, when):
    reached = contact.parse(text)
    assert reached.avoid == avoid and reached.when == when


def test_the_safe_contact_note_carries_times_to_avoid():
    assert contact.safe_note(["text"], ["do not call before 10am"]) == "Do not text; do not call before 10am"


@pytest.mark.parametrize("text, way", [
    ("07700 900456, texts are fine but dont call before 10am", "text"),
    ("text me on 07700900456", "text"),
    ("07700900456 whatsapp is best", "text"),
    ("07700900456 no calls please", "text"),
    ("07700900456", "phone"),
    ("07700900456 dont text me he reads my phone", "phone"),
    ("07700900456 but don't text, calls are fine", "phone"),
    ("sam@example.org", "email"),
])
def test_the_first_way_to_reach_them_follows_what_they_said(text, way):
    assert contact.parse(text).preferred == way
