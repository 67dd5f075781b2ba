"""Shared fixtures for the Rasa side's tests.

`stack`: the real stack (trained model, action server, handoff service) on free ports, one per
database backend for the whole session: SQLite always, and PostgreSQL when DATABASE_URL points
at a PostgreSQL server (CI sets it), with fresh databases that are dropped afterwards.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from bot import pipeline, train
from bot.stack import ROOT, PostgresDatabases, Stack, environment, free_port  # noqa: F401 (re-exported to tests)


@pytest.fixture(scope="session")
def nlp():
    """The project's blank English pipeline with the cue rules, built as set-up builds it."""
    import spacy

    path = Path(os.environ.get("SPACY_MODEL_PATH") or pipeline.settings.spacy_model_path())
    pipeline.build(path)
    return spacy.load(path)


BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("DATABASE_URL", "").startswith("postgresql") else [])


def trained_model() -> Path:
    model = Path(os.environ.get("RASA_MODEL") or train.model_path())
    assert model.exists(), f"no trained model at {model}: run `make train` first"
    return model


@pytest.fixture(scope="session", params=BACKENDS)
def stack(request, tmp_path_factory) -> Iterator[Stack]:
    overrides: Dict[str, str] = {
        "DATA_DIR": str(tmp_path_factory.mktemp("data")),
        "RASA_PORT": free_port(), "ACTIONS_PORT": free_port(), "HANDOFF_PORT": free_port(),
        "HANDOFF_API_TOKEN": uuid.uuid4().hex,
        "DATABASE_URL": "", "TRACKER_STORE_URL": "",
    }
    databases = None
    if request.param == "postgresql":
        databases = PostgresDatabases(os.environ["DATABASE_URL"])
        overrides["DATABASE_URL"] = databases.create("e2e_handoff")
        overrides["TRACKER_STORE_URL"] = databases.create("e2e_tracker")
    running = Stack(env=environment(overrides), model=trained_model(),
                    handoff_python=os.environ.get("HANDOFF_PYTHON",
                                                  str(ROOT / ".venv-handoff/bin/python")))
    try:
        running.prepare()
        running.start()
        yield running
    finally:
        running.stop()
        if databases:
            databases.drop_all()
