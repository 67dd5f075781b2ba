"""Settings for the Rasa side and the launcher, from environment variables.

| variable            | default                                  | meaning |
|---------------------|------------------------------------------|---------|
| DATA_DIR            | ./.data                                  | SQLite files, spaCy pipeline, models, outbox, generated secrets |
| RASA_PORT           | 5005                                     | Rasa server (REST channel + HTTP API) |
| ACTIONS_PORT        | 5055                                     | action server |
| HANDOFF_PORT        | 8080                                     | handoff service and worker app |
| HANDOFF_API_TOKEN   | generated into $DATA_DIR/handoff_api_token | service token between actions and handoff |
| DATABASE_URL        | sqlite:///$DATA_DIR/handoff.db           | handoff database |
| TRACKER_STORE_URL   | sqlite:///$DATA_DIR/tracker.db           | Rasa tracker store |
| SPACY_MODEL_PATH    | $DATA_DIR/spacy/en_triage                | the blank English pipeline with the cue rules |
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The folder for everything stored at run time (created if missing)."""
    path = Path(os.environ.get("DATA_DIR", PROJECT_ROOT / ".data")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def spacy_model_path() -> Path:
    return Path(os.environ.get("SPACY_MODEL_PATH", data_dir() / "spacy" / "en_triage")).resolve()


def models_dir() -> Path:
    return Path(os.environ.get("MODELS_DIR", data_dir() / "models")).resolve()


def tracker_store_url() -> str:
    return os.environ.get("TRACKER_STORE_URL") or f"sqlite:///{data_dir() / 'tracker.db'}"


def port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))
