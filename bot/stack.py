"""Start and stop the whole stack: handoff service, action server and Rasa server.

Standard library only, so `make run`, `make bench` and the end-to-end tests share one launcher.

    python -m bot.stack      # runs until Ctrl-C, then stops every process cleanly

One instance of each process by default. `Stack(rasa_instances=2, action_instances=2, ...)`
(or RASA_INSTANCES / ACTION_INSTANCES / HANDOFF_INSTANCES for `python -m bot.stack`) starts
more on their own free ports, all sharing the tracker store, the lock store and the handoff
database: Rasa instance i calls action server i (modulo their number), action server i calls
handoff instance i (unless HANDOFF_URL names a load balancer). The first instance of each keeps
the documented port and the plain name ("rasa", "actions", "handoff"); the others are
"rasa-2", "actions-2", ... Several Rasa instances need a shared lock store: set REDIS_URL.
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
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import quote, unquote, urlsplit

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
    env: Optional[Dict[str, str]] = None  # None: the stack's environment


@dataclass
class Stack:
    """The three processes, configured from `env` (see the README's settings table)."""

    env: Dict[str, str]
    model: Path
    handoff_python: str
    rasa_python: str = sys.executable
    processes: Dict[str, Process] = field(default_factory=dict)
    rasa_instances: int = 1
    action_instances: int = 1
    handoff_instances: int = 1
    ports: Dict[str, str] = field(default_factory=dict)  # of the second and later instances

    @property
    def data_dir(self) -> Path:
        return Path(self.env["DATA_DIR"])

    def names(self, kind: str) -> List[str]:
        """["rasa", "rasa-2", ...]: every instance of one kind of process."""
        count = {"rasa": self.rasa_instances, "actions": self.action_instances,
                 "handoff": self.handoff_instances}[kind]
        return [kind] + [f"{kind}-{i}" for i in range(2, count + 1)]

    def urls(self, kind: str) -> List[str]:
        return [self.url(name) for name in self.names(kind)]

    def port(self, name: str) -> str:
        first = {"rasa": "RASA_PORT", "actions": "ACTIONS_PORT", "handoff": "HANDOFF_PORT"}
        if name in first:
            return self.env[first[name]]
        if name not in self.ports:
            self.ports[name] = free_port()
        return self.ports[name]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port(name)}"

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
        if self.rasa_instances > 1 and self.env.get("LOCK_STORE_TYPE", "in_memory") == "in_memory":
            raise StackError("several Rasa instances need a shared lock store: set REDIS_URL")
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        handoff_url_given = bool(self.env.get("HANDOFF_URL"))  # e.g. a load balancer's
        self.env.setdefault("HANDOFF_URL", self.url("handoff"))
        # the handoff service calls back into Rasa for reminders and erasure
        self.env.setdefault("RASA_URL", self.url("rasa"))
        self.env["ACTION_ENDPOINT_URL"] = self.url("actions") + "/webhook"
        for i, name in enumerate(self.names("handoff")):
            env = None if i == 0 else dict(self.env, HANDOFF_PORT=self.port(name))
            self.start_process(Process(name, [self.handoff_python, "-m", "handoff", "serve"],
                                       self.url(name) + "/api/v1/health",
                                       logs / f"{name}.log", env=env))
        handoffs = self.names("handoff")
        for i, name in enumerate(self.names("actions")):
            env = None
            if i > 0 and not handoff_url_given:
                env = dict(self.env, HANDOFF_URL=self.url(handoffs[i % len(handoffs)]))
            self.start_process(Process(
                name, [self.rasa_python, "-m", "rasa_sdk", "--actions", "actions",
                       "--port", self.port(name)],
                self.url(name) + "/health", logs / f"{name}.log", env=env))
        actions = self.names("actions")
        for i, name in enumerate(self.names("rasa")):
            env = None if i == 0 else dict(
                self.env, ACTION_ENDPOINT_URL=self.url(actions[i % len(actions)]) + "/webhook")
            # RASA_API_TOKEN locks Rasa's HTTP API (trackers, execute) when it is reachable by more
            # than the handoff service; the REST and channel webhooks stay open as they must
            token = self.env.get("RASA_API_TOKEN", "")
            auth = ["--auth-token", token] if token else []
            self.start_process(Process(
                name, [self.rasa_python, "-m", "rasa", "run", "--enable-api", *auth,
                       "--model", str(self.model), "--endpoints", "endpoints.yml",
                       "--credentials", "credentials.yml", "--port", self.port(name),
                       "--interface", "127.0.0.1"],
                self.url(name) + "/status" + (f"?token={quote(token, safe='')}" if token else ""),
                logs / f"{name}.log", env=env))
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            self._wait_ready(process, deadline)

    def start_process(self, process: Process) -> None:
        with open(process.log, "ab") as log:
            process.popen = subprocess.Popen(
                process.command, cwd=ROOT, env=process.env or self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the launcher, which stops them in order
            )
        self.processes[process.name] = process

    def _wait_ready(self, process: Process, deadline: float) -> None:
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                raise StackError(f"{process.name} exited ({process.popen.returncode}); "
                                 f"see {process.log}:\n{_tail(process.log)}")
            if _answers(process.ready_url, process.name.split("-")[0]):
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

    def kill(self, name: str) -> None:
        """SIGKILL a process and its children at once (a crash, for fault tests)."""
        process = self.processes.get(name)
        if process is None or process.popen is None or process.popen.poll() is not None:
            return
        os.killpg(process.popen.pid, signal.SIGKILL)
        process.popen.wait()

    def restart(self, name: str, timeout: float = 240.0) -> None:
        """Start a stopped process again with its original command, and wait until it answers."""
        old = self.processes[name]
        self.stop_process(name)
        self.start_process(Process(old.name, old.command, old.ready_url, old.log, env=old.env))
        self._wait_ready(self.processes[name], time.monotonic() + timeout)

    def stop(self) -> None:
        for kind in ("rasa", "actions", "handoff"):
            for name in [n for n in self.processes if n.split("-")[0] == kind]:
                self.stop_process(name)

    def peak_rss_kib(self, name: str) -> int:
        """Peak resident memory (VmHWM) of a running process plus its children, in KiB."""
        process = self.processes[name]
        return sum(_vm_hwm(pid) for pid in _with_descendants(process.popen.pid))


def _answers(url: str, name: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            if name != "rasa":
                return response.status == 200
            # Rasa answers before its model is loaded; ready means a model is loaded
            return bool(json.loads(response.read() or b"{}").get("model_file"))
    except (urllib.error.URLError, OSError, ValueError):
        return False


def free_port() -> str:
    """A loopback port free right now (for extra instances, tests, the bench)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


class PostgresDatabases:
    """Fresh, uniquely named databases on the server of a PostgreSQL URL (tests, the bench)."""

    def __init__(self, server_url: str) -> None:
        from sqlalchemy.engine import make_url

        self.server = make_url(server_url)
        self.names: List[str] = []

    def _admin(self):
        import psycopg2

        connection = psycopg2.connect(host=self.server.host, port=self.server.port or 5432,
                                      user=self.server.username, password=self.server.password,
                                      dbname=self.server.database or "postgres")
        connection.autocommit = True
        return connection

    def _execute(self, *statements: str) -> None:
        # not `with connection:` — since psycopg2 2.9 that opens a transaction even in
        # autocommit mode, and CREATE/DROP DATABASE refuse to run inside one
        connection = self._admin()
        try:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        finally:
            connection.close()

    def create(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        self._execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return str(self.server.set(drivername="postgresql", database=name))

    def drop_all(self) -> None:
        self._execute(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in self.names))


def _with_descendants(pid: int) -> List[int]:
    pids, i = [pid], 0
    while i < len(pids):
        for task in Path(f"/proc/{pids[i]}/task").glob("*/children"):
            try:
                pids.extend(int(child) for child in task.read_text().split())
            except OSError:
                pass
        i += 1
    return pids


def _vm_hwm(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


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
    env.update(lock_store_settings(env.get("REDIS_URL", ""), env.get("LOCK_STORE_TYPE", "")))
    env.setdefault("LOCK_STORE_KEY_PREFIX", "")  # letters and digits only, or empty
    return env


def lock_store_settings(redis_url: str, lock_store_type: str = "") -> Dict[str, str]:
    """endpoints.yml's LOCK_STORE_* values, from REDIS_URL (redis://[user:pass@]host:port/db).

    The lock store is Redis when REDIS_URL is set, else in memory (one Rasa process only);
    LOCK_STORE_TYPE=in_memory keeps it in memory even with REDIS_URL set.
    """
    settings = {"LOCK_STORE_TYPE": "in_memory", "LOCK_STORE_HOST": "", "LOCK_STORE_PORT": "6379",
                "LOCK_STORE_DB": "0", "LOCK_STORE_USERNAME": "", "LOCK_STORE_PASSWORD": "",
                "LOCK_STORE_USE_SSL": ""}
    if lock_store_type not in ("", "in_memory", "redis"):
        raise StackError(f"LOCK_STORE_TYPE must be in_memory or redis, not {lock_store_type!r}")
    if not redis_url or lock_store_type == "in_memory":
        if lock_store_type == "redis":
            raise StackError("LOCK_STORE_TYPE=redis needs REDIS_URL")
        return settings
    url = urlsplit(redis_url)
    if url.scheme not in ("redis", "rediss") or not url.hostname:
        raise StackError("REDIS_URL must look like redis://[user:password@]host[:port][/db]")
    settings.update(
        LOCK_STORE_TYPE="redis", LOCK_STORE_HOST=url.hostname, LOCK_STORE_PORT=str(url.port or 6379),
        LOCK_STORE_DB=url.path.strip("/") or "0",
        LOCK_STORE_USERNAME=unquote(url.username or ""), LOCK_STORE_PASSWORD=unquote(url.password or ""),
        # endpoints.yml values are strings: "" is false, "true" is true
        LOCK_STORE_USE_SSL="true" if url.scheme == "rediss" else "")
    return settings


def main() -> int:
    env = environment()
    model = Path(env.get("RASA_MODEL") or subprocess.run(
        [sys.executable, "-m", "bot.train", "--path"], cwd=ROOT, env=env,
        capture_output=True, text=True, check=True).stdout.strip())
    stack = Stack(env=env, model=model, handoff_python=env.get("HANDOFF_PYTHON", "python3"),
                  rasa_instances=int(env.get("RASA_INSTANCES") or 1),
                  action_instances=int(env.get("ACTION_INSTANCES") or 1),
                  handoff_instances=int(env.get("HANDOFF_INSTANCES") or 1))
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        stack.prepare()
        stack.start()
        extra = "".join(f"  {name + ':':<19}{stack.url(name)}\n"
                        for name in stack.processes if "-" in name)
        print(f"\nReady.\n  Resident web chat: {stack.url('rasa')}/webhooks/webchat/\n"
              f"  Worker app:        {stack.url('handoff')}/  (demo logins: see `make demo-logins`)\n"
              f"  Rasa HTTP API:     {stack.url('rasa')}\n{extra}"
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
