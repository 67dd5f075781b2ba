"""Train the Rasa model only when its inputs changed: the model file is named by their hash.

Inputs: config.yml, domain.yml, everything under data/, the modules the model runs (the NLU
component and the taxonomy it reads), the spaCy pipeline's cue fingerprint (cue files and the
builder), and the settings substituted into config/domain at training. The launcher, eval and
channels are not inputs: changing them must not cost a retrain.

    python -m bot.train            # prints the model path, training first if needed
    python -m bot.train --path     # only prints where the model for these inputs lives
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import List

from bot import settings
from bot.pipeline import cues_fingerprint

ROOT = settings.PROJECT_ROOT
# Settings the domain and config read with ${...}: a change means a different model.
TRAINING_SETTINGS = ("SPACY_MODEL_PATH", "SERVICE_PHONE", "COUNCIL_EMERGENCY_HOUSING_LINE",
                     "COUNCIL_CHILDREN_LINE", "COUNCIL_SUPPORT_LINE")


MODEL_MODULES = ("cue_extractor.py", "ensemble.py", "presenting_issue.py", "sentence_risk.py", "sentences.py", "taxonomy.py")


def training_inputs() -> List[Path]:
    files = [ROOT / "config.yml", ROOT / "domain.yml"]
    files += sorted(p for p in (ROOT / "data").rglob("*") if p.is_file())
    files += [ROOT / "bot" / name for name in MODEL_MODULES]
    return files


def inputs_hash() -> str:
    digest = hashlib.sha256()
    for path in training_inputs():
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    for name in TRAINING_SETTINGS:
        digest.update(f"{name}={os.environ.get(name, '')}\0".encode())
    digest.update(cues_fingerprint().encode())
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return settings.models_dir() / f"triage-{inputs_hash()}.tar.gz"


def train() -> Path:
    path = model_path()
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "rasa", "train", "--config", "config.yml",
               "--domain", "domain.yml", "--data", "data", "--out", str(path.parent),
               "--fixed-model-name", path.name.removesuffix(".tar.gz")]
    subprocess.run(command, cwd=ROOT, check=True)
    return path


def main(argv: List[str]) -> int:
    print(model_path() if "--path" in argv else train())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
