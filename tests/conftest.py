"""Shared fixtures for the Rasa side's tests."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot import pipeline


@pytest.fixture(scope="session")
def nlp():
    """The project's blank English pipeline with the cue rules, built as set-up builds it."""
    import spacy

    path = Path(os.environ.get("SPACY_MODEL_PATH") or pipeline.settings.spacy_model_path())
    pipeline.build(path)
    return spacy.load(path)
