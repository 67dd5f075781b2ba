"""The language a resident would like to talk in, from their own words."""
import pytest

from actions import language


@pytest.mark.parametrize("text, code", [
    ("my english not good, i speak polish", "pl"), ("Bengali interpreter please", "bn"),
    ("can someone speak to me in somali", "so"), ("i prefer to speak urdu", "ur"),
])
def test_a_language_they_ask_for_is_recognised(text, code):
    assert language.mentioned(text) == code


@pytest.mark.parametrize("text", ["i need polish for the floor lol", "my neighbour is french",
                                  "rent arrears", ""])
def test_a_language_named_in_passing_is_not_taken_as_theirs(text):
    assert language.mentioned(text) is None
