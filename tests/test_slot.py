"""Picking an appointment time in plain words (and by button or number on SMS)."""
import pytest

from actions import slot

TZ = "Europe/London"
OFFERED = [{"start": "2026-11-24T10:00:00+00:00", "end": "2026-11-24T11:00:00+00:00"},
           {"start": "2026-11-25T14:00:00+00:00", "end": "2026-11-25T15:00:00+00:00"},
           {"start": "2026-11-26T09:00:00+00:00", "end": "2026-11-26T10:00:00+00:00"}]


@pytest.mark.parametrize("text, index", [
    ("1", 0), ("2", 1), ("the first one", 0), ("second please", 1), ("the last one", 2),
    ("wednesday", 1), ("thursday works", 2), ("the 2pm one", 1), ("tue at 10:00", 0),
])
def test_a_resident_can_pick_a_time_in_their_own_words(text, index):
    assert slot.choose(OFFERED, text, None, TZ) == OFFERED[index]


def test_a_button_payload_picks_its_slot():
    assert slot.choose(OFFERED, "/choose_slot", OFFERED[2]["start"], TZ) == OFFERED[2]


@pytest.mark.parametrize("text", ["none of these", "friday", "7", "maybe"])
def test_no_guess_when_the_words_fit_no_offered_time(text):
    assert slot.choose(OFFERED, text, None, TZ) is None


def test_times_read_in_london_time():
    assert slot.when("2026-07-01T09:00:00+00:00", TZ) == "Wednesday 1 July at 10:00"
    assert len(slot.short_label("2026-11-24T10:00:00+00:00", TZ)) <= 20
