"""Conversation tests: `rasa test core --fail-on-prediction-errors` on tests/stories with the real model."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot import train
from bot.settings import PROJECT_ROOT


def test_the_test_stories_pass_with_the_trained_model(tmp_path: Path):
    model = Path(os.environ.get("RASA_MODEL") or train.model_path())
    assert model.exists(), f"no trained model at {model}: run `make train`"
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "test", "core", "--model", str(model),
         "--stories", "tests/stories", "--out", str(tmp_path), "--fail-on-prediction-errors",
         "--successes", "--no-plot"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    failed = tmp_path / "failed_test_stories.yml"
    detail = failed.read_text() if failed.exists() else result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, detail
    assert "None of the test stories failed" in failed.read_text(), detail
    passed = (tmp_path / "successful_test_stories.yml").read_text()
    assert passed.count("- story:") == STORIES


STORIES = (PROJECT_ROOT / "tests" / "stories" / "test_stories.yml").read_text().count("- story:")
