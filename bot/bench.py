"""`make bench`: simulated residents hold whole conversations with the real stack, at once.

    python -m bot.bench [--config single|scaled|all] [--concurrency 5,20] [--faults|--no-faults]

Configurations (each on loopback, in a temporary data folder, torn down afterwards):
- single: one Rasa server, one action server, one handoff service; SQLite; in-memory lock store.
- scaled: two of each on PostgreSQL (tracker store and handoff database) + the Redis lock store
  (REDIS_URL, default redis://127.0.0.1:6379/0). PostgreSQL is a private throwaway server
  (initdb on a free port) so that restarting it disturbs nobody; `--postgres-url` uses an
  existing server instead (restarted with pg_ctlcluster).

Each resident goes from "I'm behind on my rent" through consent, their story, the gentle
questions, the playback, what matters most, what they want, how to meet and a time, to a
confirmed booking (then the contact and name questions), answering what the bot asks (mostly by tapping its buttons) and waiting for
each reply. Messages go round-robin over the Rasa instances (a load balancer without sticky
sessions). Afterwards every conversation's tracker and handoffs are read back:
- lost: messages sent that are not stored as a user event; dup: stored more often than sent;
- bookings: conversations with exactly one booked handoff / conversations;
- readable: time from the confirmation reply to GET /api/v1/handoffs?conversation_id= showing it.
Faults (on scaled, or single when scaled is not run): the action server killed (SIGKILL) and
restarted mid-run; PostgreSQL restarted mid-run; every Twilio SMS webhook delivered twice
(correctly signed, to two instances at once; replies go to a local fake of Twilio's API).
A resident whose message gets no reply (error or empty) sends it again, up to 3 times.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from bot.stack import ROOT, PostgresDatabases, Stack, StackError, environment, free_port

STORIES = [
    "my universal credit got stopped in march and i have been drinking a lot since",
    "i lost my job at the warehouse and the rent went up, i can't keep up",
    "my partner left and i can't pay the rent on my own with the kids",
    "my hours got cut and now i owe council tax and rent and the gas is on a meter",
]
OPENING = "Hi, I'm behind on my rent"
MAX_TURNS = 30
MAX_RETRIES = 3
PUBLIC_URL = "https://bench.invalid"  # what the fake Twilio signs over (TWILIO_WEBHOOK_BASE_URL)


# ---------------------------------------------------------------- what a resident answers
def decide(text: str, buttons: List[Tuple[str, str]], story: str,
           last_time: Optional[str] = None) -> Tuple[Optional[str], str]:
    """The resident's next message for the bot's last turn, and the step it answers.

    `buttons` are (title, what to send): a payload on REST, a number on SMS."""
    t = text.replace("\u2019", "'").lower()

    def tap(prefix: str = "") -> Optional[str]:
        for title, value in buttons:
            if title.lower().startswith(prefix) and title.lower() != "none of these":
                return value
        return None

    if "booked in with" in t:
        return "skip", "contact"
    if "will get in touch" in t:
        return None, "done"
    if "what name would you like" in t:
        return "rather not say", "name"
    if "isn't answering" in t and last_time:  # the booking failed: tap the same time again
        return last_time, "time"
    if "which of these times" in t and tap():
        return tap(), "time"
    if tap("phone"):
        return tap("phone"), "mode"
    if "what would you most like" in t:
        return "help sorting out my benefits and the rent", "want"
    if "biggest difference" in t and tap():
        return tap(), "priority"
    if "have i got that right" in t and tap("yes"):
        return tap("yes"), "playback"
    if "what's been happening" in t:
        return story, "story"
    if "note down" in t and tap("yes"):
        return tap("yes"), "consent"
    return "no that's fine", "explore"


@dataclass
class Run:
    """Measurements of one load run."""
    latencies: List[float] = field(default_factory=list)
    sent: Dict[str, List[str]] = field(default_factory=dict)        # sender -> texts sent
    unique_sent: Dict[str, int] = field(default_factory=dict)       # SMS: distinct messages
    readable: List[Optional[float]] = field(default_factory=list)   # seconds, None: never
    errors: Counter = field(default_factory=Counter)
    finished: int = 0
    started: float = 0.0
    ended: float = 0.0
    lost: int = 0
    duplicated: int = 0
    booked_once: int = 0
    bookings: int = 0
    notes: List[str] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return sum(self.unique_sent.values()) if self.unique_sent else sum(map(len, self.sent.values()))


class Driver:
    """Runs residents against a started stack over HTTP."""

    def __init__(self, stack: Stack, http: aiohttp.ClientSession, fake: "FakeTwilio") -> None:
        self.stack, self.http, self.fake = stack, http, fake
        self.rasa = itertools.cycle(stack.urls("rasa"))
        self.token = stack.env["HANDOFF_API_TOKEN"]

    async def handoffs(self, sender: str) -> List[Dict[str, Any]]:
        async with self.http.get(self.stack.url("handoff") + "/api/v1/handoffs",
                                 params={"conversation_id": sender},
                                 headers={"Authorization": f"Bearer {self.token}"}) as response:
            return await response.json() if response.status == 200 else []

    async def wait_readable(self, sender: str, since: float, run: Run) -> None:
        while time.monotonic() - since < 10:
            try:
                if any(h.get("appointment") for h in await self.handoffs(sender)):
                    run.readable.append(time.monotonic() - since)
                    return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.02)
        run.readable.append(None)

    # -- REST
    async def rest_turn(self, sender: str, text: str, step: str, run: Run) -> Optional[Tuple[str, List]]:
        run.sent[sender].append(text)
        start = time.monotonic()
        try:
            async with self.http.post(next(self.rasa) + "/webhooks/rest/webhook",
                                      json={"sender": sender, "message": text}) as response:
                body = await response.json() if response.status == 200 else None
                if body is None:
                    run.errors[f"HTTP {response.status}"] += 1
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            run.errors[type(error).__name__] += 1
            body = None
        run.latencies.append(time.monotonic() - start)
        if not body:
            if body is not None:
                run.errors[f"no reply to {step}"] += 1
            return None
        buttons = [(b["title"], b["payload"]) for r in body for b in r.get("buttons", [])]
        return " ".join(r.get("text", "") for r in body), buttons

    # -- Twilio SMS, each webhook delivered twice
    async def sms_turn(self, sender: str, text: str, step: str, run: Run) -> Optional[Tuple[str, List]]:
        from twilio.request_validator import RequestValidator

        run.sent[sender].append(text)
        run.unique_sent[sender] = run.unique_sent.get(sender, 0) + 1
        sid = "SM" + uuid.uuid4().hex
        env = self.stack.env
        form = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": env["TWILIO_ACCOUNT_SID"],
                "From": sender, "To": env["TWILIO_SMS_FROM"], "Body": text, "NumMedia": "0"}
        path = "/webhooks/twilio_sms/webhook"
        signature = RequestValidator(env["TWILIO_AUTH_TOKEN"]).compute_signature(PUBLIC_URL + path, form)
        inbox = self.fake.inbox(sender)
        while not inbox.empty():  # a previous turn's stragglers
            inbox.get_nowait()
        start = time.monotonic()

        async def deliver(url: str) -> None:
            try:
                async with self.http.post(url + path, data=form,
                                          headers={"X-Twilio-Signature": signature}) as response:
                    if response.status != 200:
                        run.errors[f"webhook HTTP {response.status}"] += 1
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                run.errors[type(error).__name__] += 1

        await asyncio.gather(deliver(next(self.rasa)), deliver(next(self.rasa)))
        bodies: List[str] = []
        try:
            bodies.append(await asyncio.wait_for(inbox.get(), 30))
            run.latencies.append(time.monotonic() - start)
            while True:  # the rest of this turn's messages
                bodies.append(await asyncio.wait_for(inbox.get(), 0.6))
        except asyncio.TimeoutError:
            pass
        if not bodies:
            run.errors[f"no SMS reply to {step}"] += 1
            return None
        text = "\n".join(bodies)
        buttons = [(title, number) for number, title in re.findall(r'(\d+) for "([^"]+)"', text)]
        return text, buttons

    async def converse(self, sender: str, story: str, run: Run, sms: bool = False) -> None:
        turn = self.sms_turn if sms else self.rest_turn
        run.sent[sender] = []
        message, step, retries, last_time = OPENING, "opening", 0, None
        for _ in range(MAX_TURNS):
            result = await turn(sender, message, step, run)
            if result is None:
                retries += 1
                if retries > MAX_RETRIES:
                    break
                await asyncio.sleep(1)
                continue  # the resident sends it again
            retries = 0
            if step == "time":
                last_time = message
            message, step = decide(result[0], result[1], story, last_time)
            if step == "contact":  # the reply confirmed the booking
                await self.wait_readable(sender, time.monotonic(), run)
            if step == "done":
                run.finished += 1
                return
        run.errors[f"unfinished at {step}"] += 1

    async def load(self, conversations: int, concurrency: int, sms: bool = False,
                   fault: Optional[Callable[[], Any]] = None) -> Run:
        run = Run()
        queue: asyncio.Queue = asyncio.Queue()
        for i in range(conversations):
            sender = (f"+4477009{uuid.uuid4().int % 100000:05d}" if sms
                      else f"bench-{uuid.uuid4().hex[:10]}")
            queue.put_nowait((sender, STORIES[i % len(STORIES)]))

        async def resident() -> None:
            while not queue.empty():
                sender, story = queue.get_nowait()
                await self.converse(sender, story, run, sms)

        run.started = time.monotonic()
        tasks = [asyncio.create_task(resident()) for _ in range(concurrency)]
        if fault:
            tasks.append(asyncio.create_task(fault()))
        await asyncio.gather(*tasks)
        run.ended = time.monotonic()
        await self.check(run)
        return run

    async def check(self, run: Run) -> None:
        """Read every conversation back: stored user messages and booked handoffs."""
        url = self.stack.url("rasa")
        for sender, texts in run.sent.items():
            async with self.http.get(f"{url}/conversations/{sender}/tracker",
                                     params={"include_events": "ALL"}) as response:
                events = (await response.json())["events"] if response.status == 200 else []
            stored = [e.get("text") for e in events if e["event"] == "user"]
            if sender in run.unique_sent:  # SMS: numbered replies are stored as payloads
                sent = run.unique_sent[sender]
                run.lost += max(0, sent - len(stored))
                run.duplicated += max(0, len(stored) - sent)
            else:
                missing = Counter(texts) - Counter(stored)
                extra = Counter(stored) - Counter(texts)
                run.lost += sum(missing.values())
                run.duplicated += sum(extra.values())
            booked = [h for h in await self.handoffs(sender) if h.get("appointment")]
            run.bookings += len(booked)
            run.booked_once += len(booked) == 1


# ---------------------------------------------------------------- a fake of Twilio's API
class FakeTwilio:
    """POST /2010-04-01/Accounts/<sid>/Messages.json on 127.0.0.1: queues each body per recipient."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inboxes: Dict[str, asyncio.Queue] = {}
        self.runner: Optional[web.AppRunner] = None

    def inbox(self, to: str) -> asyncio.Queue:
        return self.inboxes.setdefault(to, asyncio.Queue())

    async def start(self) -> None:
        async def messages(request: web.Request) -> web.Response:
            form = await request.post()
            self.inbox(str(form.get("To", ""))).put_nowait(str(form.get("Body", "")))
            return web.json_response({"sid": "SM" + uuid.uuid4().hex, "status": "queued"}, status=201)

        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", messages)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", int(self.port)).start()

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()


# ---------------------------------------------------------------- PostgreSQL for the bench
class Postgres:
    """A private throwaway server (initdb on a free port), or an existing one (--postgres-url)."""

    def __init__(self, base: Path, server_url: str = "") -> None:
        self.server_url, self.dir, self.port = server_url, base / "pg", free_port()
        self.private = False
        self.bin = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)

    def _as_postgres(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(prefix + list(command), check=True, capture_output=True)

    def start(self) -> None:
        if self.server_url:
            return
        if self.bin is None:
            raise StackError("no PostgreSQL server binaries under /usr/lib/postgresql; use --postgres-url")
        self.dir.mkdir(parents=True)
        if os.geteuid() == 0:  # the server runs as postgres
            os.chmod(self.dir.parent, 0o755)
            shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres",
                          "--auth=trust", "-E", "UTF8")
        self._pg_ctl("start")
        self.server_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.private = True

    def _pg_ctl(self, action: str) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-w", "-m", "fast",
                          "-l", str(self.dir / "server.log"),
                          "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
                          action)

    def restart(self) -> None:
        if self.private:
            self._pg_ctl("restart")
            return
        port = str(urlsplit(self.server_url).port or 5432)
        for line in subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout.splitlines():
            version, cluster, cluster_port = line.split()[:3]
            if cluster_port == port:
                subprocess.run(["pg_ctlcluster", version, cluster, "restart"], check=True)
                return
        raise StackError(f"no local cluster on port {port} to restart")

    def stop(self) -> None:
        if self.private:
            try:
                self._pg_ctl("stop")
            except subprocess.CalledProcessError:
                pass


# ---------------------------------------------------------------- configurations
@dataclass
class Config:
    name: str
    label: str
    instances: int
    scaled: bool


CONFIGS = {"single": Config("single", "single: 1 Rasa, SQLite, in-memory locks", 1, False),
           "scaled": Config("scaled", "scaled: 2 Rasa + 2 actions + 2 handoff, PostgreSQL + Redis", 2, True)}


def redis_answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def model() -> Path:
    from bot import train

    path = Path(os.environ.get("RASA_MODEL") or train.model_path())
    if not path.exists():
        raise StackError(f"no trained model at {path}: run `make train` first")
    return path


async def start_stack(config: Config, base: Path, fake: FakeTwilio, postgres: Optional[Postgres],
                      redis_url: str) -> Stack:
    overrides = {
        "DATA_DIR": str(base / config.name), "RASA_PORT": free_port(), "ACTIONS_PORT": free_port(),
        "HANDOFF_PORT": free_port(), "HANDOFF_API_TOKEN": uuid.uuid4().hex,
        "DATABASE_URL": "", "TRACKER_STORE_URL": "", "REDIS_URL": "", "LOCK_STORE_TYPE": "",
        "TWILIO_ACCOUNT_SID": "AC" + uuid.uuid4().hex, "TWILIO_AUTH_TOKEN": uuid.uuid4().hex,
        "TWILIO_SMS_FROM": "+447700900000", "TWILIO_WEBHOOK_BASE_URL": PUBLIC_URL,
        "TWILIO_API_BASE_URL": f"http://127.0.0.1:{fake.port}",
        "HANDOFF_URL": "", "RASA_URL": "",
    }
    if config.scaled:
        assert postgres is not None
        for key, db in (("DATABASE_URL", "bench_handoff"), ("TRACKER_STORE_URL", "bench_tracker")):
            overrides[key] = await asyncio.to_thread(PostgresDatabases(postgres.server_url).create, db)
        overrides["REDIS_URL"] = redis_url
    env = environment(overrides)
    for key in ("HANDOFF_URL", "RASA_URL"):
        env.pop(key, None)  # let the launcher point each instance at its partner
    stack = Stack(env=env, model=model(),
                  handoff_python=os.environ.get("HANDOFF_PYTHON") or str(ROOT / ".venv-handoff/bin/python"),
                  rasa_python=sys.executable, rasa_instances=config.instances,
                  action_instances=config.instances, handoff_instances=config.instances)
    await asyncio.to_thread(stack.prepare)
    await asyncio.to_thread(stack.start, 600.0)
    return stack


def percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]  # nearest rank


def ms(seconds: Optional[float]) -> str:
    return "-" if seconds is None or seconds != seconds else f"{seconds * 1000:.0f}"


def row(label: str, run: Run, conversations: int) -> str:
    duration = max(run.ended - run.started, 1e-9)
    readable = [r for r in run.readable if r is not None]
    never = len(run.readable) - len(readable)
    errors = sum(run.errors.values())
    detail = ", ".join(f"{k} {v}" for k, v in run.errors.most_common())
    return (f"| {label} | {conversations} | {run.messages} | {run.messages / duration:.1f} | "
            f"{ms(percentile(run.latencies, 50))} | {ms(percentile(run.latencies, 95))} | "
            f"{ms(percentile(run.latencies, 99))} | {errors}{f' ({detail})' if detail else ''} | "
            f"{run.lost} | {run.duplicated} | {run.booked_once}/{conversations} ({run.bookings} made) | "
            f"{ms(percentile(readable, 50)) if readable else '-'} / {ms(max(readable)) if readable else '-'}"
            f"{f' ({never} never)' if never else ''} |")


HEADER = ("| run | conversations | messages | msg/s | p50 ms | p95 ms | p99 ms | errors | lost | dup | "
          "booked once / expected | handoff readable p50 / max ms |\n"
          "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|---|")


async def bench(args: argparse.Namespace) -> int:
    names = ["single", "scaled"] if args.config == "all" else [args.config]
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    if "scaled" in names and not redis_answers(redis_url):
        print(f"scaled: Redis does not answer at {redis_url}; skipped", flush=True)
        names.remove("scaled")
    base = Path(tempfile.mkdtemp(prefix="bench-"))
    fake = FakeTwilio()
    await fake.start()
    rows: List[str] = []
    memory: List[str] = []
    fault_rows: List[str] = []
    timeout = aiohttp.ClientTimeout(total=120)
    try:
        for name in names:
            config = CONFIGS[name]
            postgres = Postgres(base, args.postgres_url) if config.scaled else None
            if postgres:
                await asyncio.to_thread(postgres.start)
            print(f"{config.label}: starting ...", flush=True)
            started = time.monotonic()
            stack = await start_stack(config, base, fake, postgres, redis_url)
            print(f"  ready in {time.monotonic() - started:.0f} s", flush=True)
            try:
                async with aiohttp.ClientSession(timeout=timeout) as http:
                    driver = Driver(stack, http, fake)
                    await driver.load(config.instances, config.instances)  # warm-up, not counted
                    for concurrency in args.concurrency:
                        conversations = concurrency * args.conversations_per_resident
                        run = await driver.load(conversations, concurrency)
                        rows.append(row(f"{name}, {concurrency} at once", run, conversations))
                        print(rows[-1], flush=True)
                    faults_here = args.faults and (config.scaled or "scaled" not in names)
                    if faults_here:
                        fault_rows += await run_faults(driver, stack, postgres, args)
                memory.append(f"| {name} | " + ", ".join(
                    f"{p} {stack.peak_rss_kib(p) / 1024:.0f}" for p in stack.processes) + " |")
            finally:
                await asyncio.to_thread(stack.stop)
                if postgres:
                    await asyncio.to_thread(postgres.stop)
    finally:
        await fake.stop()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"\nmake bench, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB; "
          f"each resident waits for every reply; one warm-up conversation per Rasa instance first\n")
    print(HEADER)
    print("\n".join(rows))
    print("\n| configuration | peak RSS per process, MB (VmHWM, children included) |\n|---|---|")
    print("\n".join(memory))
    if fault_rows:
        print("\nFaults (lost = sent but not stored; dup = stored twice)\n")
        print(HEADER)
        print("\n".join(fault_rows))
    return 0


async def run_faults(driver: Driver, stack: Stack, postgres: Optional[Postgres],
                     args: argparse.Namespace) -> List[str]:
    rows = []
    concurrency, conversations = 5, 10
    label = "scaled" if postgres else "single"

    async def kill_actions() -> None:
        await asyncio.sleep(args.fault_after)
        await asyncio.to_thread(stack.kill, "actions")
        await asyncio.sleep(1)
        await asyncio.to_thread(stack.restart, "actions")

    print("fault: action server killed and restarted mid-run ...", flush=True)
    run = await driver.load(conversations, concurrency, fault=kill_actions)
    rows.append(row(f"{label}: action server killed + restarted", run, conversations))
    print(rows[-1], flush=True)

    if postgres:
        async def restart_postgres() -> None:
            await asyncio.sleep(args.fault_after)
            await asyncio.to_thread(postgres.restart)

        print("fault: PostgreSQL restarted mid-run ...", flush=True)
        run = await driver.load(conversations, concurrency, fault=restart_postgres)
        rows.append(row(f"{label}: PostgreSQL restarted", run, conversations))
        print(rows[-1], flush=True)

    print("fault: every SMS webhook delivered twice ...", flush=True)
    run = await driver.load(conversations, concurrency, sms=True)
    rows.append(row(f"{label}: Twilio SMS, each webhook twice", run, conversations))
    print(rows[-1], flush=True)
    return rows


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", choices=["single", "scaled", "all"], default="all")
    parser.add_argument("--concurrency", default="5,20",
                        type=lambda v: [int(x) for x in v.split(",") if x.strip()])
    parser.add_argument("--conversations-per-resident", type=int, default=2)
    parser.add_argument("--faults", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--fault-after", type=float, default=4.0,
                        help="seconds into a fault run before the fault")
    parser.add_argument("--postgres-url", default="",
                        help="use this PostgreSQL server (restarted with pg_ctlcluster) "
                             "instead of a private throwaway one")
    parser.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(bench(args))
    except StackError as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
