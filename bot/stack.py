"""Start and stop the whole stack: handoff service, action server and Rasa server.

Standard library only, so `make run` and the end-to-end tests share one launcher.

    python -m bot.stack      # runs until Ctrl-C, then stops every process cleanly
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent


class StackError(RuntimeError):
    """A process of the stack did not start; the message says which and where its log is."""


@dataclass
class Process:
    name: str
    command: List[str]
    ready_url: str
    log: Path
    popen: Optional[subprocess.Popen] = None


@dataclass
class Stack:
    """The three processes, configured from `env` (see the README's settings table)."""

    env: Dict[str, str]
    model: Path
    handoff_python: str
    rasa_python: str = sys.executable
    processes: Dict[str, Process] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return Path(self.env["DATA_DIR"])

    def url(self, name: str) -> str:
        port = {"rasa": "RASA_PORT", "actions": "ACTIONS_PORT", "handoff": "HANDOFF_PORT"}[name]
        return f"http://127.0.0.1:{self.env[port]}"

    def prepare(self) -> None:
        """Migrate the handoff database and seed demo workers (both idempotent)."""
        for step in ("migrate", "seed-demo"):
            self._run_once([self.handoff_python, "-m", "handoff", step], f"handoff {step}")
        token = self._run_once([self.handoff_python, "-m", "handoff", "token"], "handoff token")
        self.env["HANDOFF_API_TOKEN"] = token.strip().splitlines()[-1]

    def _run_once(self, command: List[str], what: str) -> str:
        result = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True)
        if result.returncode != 0:
            raise StackError(f"{what} failed:\n{result.stderr[-2000:]}")
        return result.stdout

    def start(self, timeout: float = 240.0) -> None:
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.env.setdefault("HANDOFF_URL", self.url("handoff"))
        # the handoff service calls back into Rasa for reminders and erasure
        self.env.setdefault("RASA_URL", self.url("rasa"))
        self.env["ACTION_ENDPOINT_URL"] = self.url("actions") + "/webhook"
        specs = [
            ("handoff", [self.handoff_python, "-m", "handoff", "serve"],
             self.url("handoff") + "/api/v1/health"),
            ("actions", [self.rasa_python, "-m", "rasa_sdk", "--actions", "actions",
                         "--port", self.env["ACTIONS_PORT"]], self.url("actions") + "/health"),
            ("rasa", [self.rasa_python, "-m", "rasa", "run", "--enable-api",
                      "--model", str(self.model), "--endpoints", "endpoints.yml",
                      "--credentials", "credentials.yml", "--port", self.env["RASA_PORT"],
                      "--interface", "127.0.0.1"], self.url("rasa") + "/status"),
        ]
        for name, command, ready_url in specs:
            self.start_process(Process(name, command, ready_url, logs / f"{name}.log"))
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            self._wait_ready(process, deadline)

    def start_process(self, process: Process) -> None:
        with open(process.log, "ab") as log:
            process.popen = subprocess.Popen(
                process.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the launcher, which stops them in order
            )
        self.processes[process.name] = process

    def _wait_ready(self, process: Process, deadline: float) -> None:
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                raise StackError(f"{process.name} exited ({process.popen.returncode}); "
                                 f"see {process.log}:\n{_tail(process.log)}")
            if _answers(process.ready_url, process.name):
                return
            time.sleep(0.5)
        raise StackError(f"{process.name} not ready in time; see {process.log}:\n{_tail(process.log)}")

    def stop_process(self, name: str, timeout: float = 20.0) -> None:
        process = self.processes.get(name)
        if process is None or process.popen is None or process.popen.poll() is not None:
            return
        os.killpg(process.popen.pid, signal.SIGTERM)
        try:
            process.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.popen.pid, signal.SIGKILL)
            process.popen.wait()

    def restart(self, name: str, timeout: float = 240.0) -> None:
        """Start a stopped process again with its original command, and wait until it answers."""
        old = self.processes[name]
        self.stop_process(name)
        self.start_process(Process(old.name, old.command, old.ready_url, old.log))
        self._wait_ready(self.processes[name], time.monotonic() + timeout)

    def stop(self) -> None:
        for name in ("rasa", "actions", "handoff"):
            self.stop_process(name)


def _answers(url: str, name: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            if name != "rasa":
                return response.status == 200
            # Rasa answers before its model is loaded; ready means a model is loaded
            return bool(json.loads(response.read() or b"{}").get("model_file"))
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def environment(overrides: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The processes' environment: os.environ with the documented defaults filled in."""
    env = dict(os.environ)
    env.update(overrides or {})
    data_dir = Path(env.get("DATA_DIR") or ROOT / ".data").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    defaults = {
        "DATA_DIR": str(data_dir),
        "RASA_PORT": "5005",
        "ACTIONS_PORT": "5055",
        "HANDOFF_PORT": "8080",
        "DATABASE_URL": f"sqlite:///{data_dir / 'handoff.db'}",
        "TRACKER_STORE_URL": f"sqlite:///{data_dir / 'tracker.db'}",
        "SPACY_MODEL_PATH": str(data_dir / "spacy" / "en_triage"),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        # shared by the handoff service and Rasa's erase endpoint; one per launch unless set
        "RASA_ERASE_TOKEN": secrets.token_urlsafe(24),
    }
    for key, value in defaults.items():
        if not env.get(key):
            env[key] = value
    env["DATA_DIR"] = str(data_dir)
    return env


def main() -> int:
    env = environment()
    model = Path(env.get("RASA_MODEL") or subprocess.run(
        [sys.executable, "-m", "bot.train", "--path"], cwd=ROOT, env=env,
        capture_output=True, text=True, check=True).stdout.strip())
    stack = Stack(env=env, model=model, handoff_python=env.get("HANDOFF_PYTHON", "python3"))
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        stack.prepare()
        stack.start()
        print(f"\nReady.\n  Resident web chat: {stack.url('rasa')}/webhooks/webchat/\n"
              f"  Worker app:        {stack.url('handoff')}/  (demo logins: see `make demo-logins`)\n"
              f"  Rasa HTTP API:     {stack.url('rasa')}\n"
              f"  Logs:              {stack.data_dir / 'logs'}\nCtrl-C stops everything.",
              flush=True)
        while not stopping:
            for process in stack.processes.values():
                if process.popen.poll() is not None:
                    print(f"{process.name} stopped unexpectedly; see {process.log}", file=sys.stderr)
                    stopping = True
            time.sleep(0.5)
    except StackError as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        stack.stop()
        print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
