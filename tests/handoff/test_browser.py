"""A real browser (Debian's chromium via playwright) against a real server process."""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
from pathlib import Path
from typing import AsyncIterator

import aiohttp
import pytest
from handoff_helpers import DEMO_PASSWORD, TOKEN

CHROMIUM = "/usr/bin/chromium"
ARTIFACT = Path(__file__).parent / "artifacts" / "worker-handoff.png"
REPO = Path(__file__).parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def run_cli(env: dict[str, str], command: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "handoff", command, cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    return output.decode()


@pytest.fixture
async def live_server(tmp_path: Path) -> AsyncIterator[str]:
    """migrate + seed-demo + serve, exactly as the Makefile runs them; stopped with SIGTERM."""
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'handoff.db'}",
        "HANDOFF_PORT": str(port),
        "HANDOFF_API_TOKEN": TOKEN,
        "DEMO_WORKER_PASSWORD": DEMO_PASSWORD,
    }
    await run_cli(env, "migrate")
    seeded = await run_cli(env, "seed-demo")
    assert "amina@example.org" in seeded and DEMO_PASSWORD not in seeded
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "handoff", "serve", cwd=REPO, env=env, stderr=asyncio.subprocess.PIPE
    )
    assert server.stderr is not None
    try:
        ready = ""
        while "handoff service ready on" not in ready:
            line = await asyncio.wait_for(server.stderr.readline(), timeout=30)
            assert line, "server exited before it was ready"
            ready = line.decode()
        assert f"http://127.0.0.1:{port}" in ready
        yield f"http://127.0.0.1:{port}"
    finally:
        server.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(server.wait(), timeout=15)
    assert code == 0  # clean exit on SIGTERM


async def create_booked_handoff(base: str) -> int:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(base, headers=auth) as http:
        async with http.post("/api/v1/match", json={"needs": ["benefits", "food_fuel"], "language": "bn"}) as r:
            worker = (await r.json())["workers"][0]
        assert worker["name"] == "Amina Rahman"
        booking_body = {
            "worker_id": worker["id"], "start": worker["slots"][0]["start"], "mode": "face_to_face",
            "conversation_id": "browser-1", "channel": "rest", "resident": {"identity": "browser-1", "name": "Rokeya"},
        }
        async with http.post("/api/v1/bookings", json=booking_body) as r:
            assert r.status == 201
            booking = await r.json()
        handoff_body = {
            "conversation_id": "browser-1",
            "presenting_issue": "rent_arrears",
            "needs": [
                {"id": "benefits", "in_their_words": ["My Universal Credit was cut and I don't know why"]},
                {"id": "food_fuel", "in_their_words": ["Some weeks I skip meals so the kids can eat"]},
            ],
            "priority_need": "benefits",
            "risks": ["no_food_or_heating"],
            "in_their_words": ["I'm two months behind on rent"],
            "what_they_want": "Find out why my benefits were cut and make a plan for the rent",
            "already_asked": ["Who lives with you?", "Are you working?"],
            "resident": {"name": "Rokeya", "preferred_contact": "sms", "language": "bn",
                         "safe_contact": "Text first; my partner reads my post"},
            "consent": {"share_with_worker": True},
            "booking_id": booking["id"],
        }
        async with http.post("/api/v1/handoffs", json=handoff_body) as r:
            assert r.status == 201
            return (await r.json())["id"]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium")
async def test_worker_logs_in_reads_a_handoff_and_marks_it_read(live_server: str, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    handoff_id = await create_booked_handoff(live_server)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = await browser.new_page(viewport={"width": 1000, "height": 900})
            await page.goto(f"{live_server}/login")
            await page.get_by_label("Email").fill("amina@example.org")
            await page.get_by_label("Password").fill(DEMO_PASSWORD)
            await page.get_by_role("button", name="Log in").click()
            await expect(page.get_by_role("heading", name="My appointments")).to_be_visible()
            await page.get_by_role("link", name="Read the handoff summary").click()
            await expect(page).to_have_url(f"{live_server}/handoffs/{handoff_id}")
            await expect(page.get_by_role("heading", name="Risks")).to_be_visible()
            await expect(page.get_by_text("Text first; my partner reads my post")).to_be_visible()
            await page.get_by_role("button", name="Mark as read").click()
            await expect(page.locator("#read-status")).to_contain_text("Read")
            await expect(page.get_by_role("button", name="Mark as read")).to_have_count(0)
            shot = tmp_path / "worker-handoff.png"
            await page.screenshot(path=str(shot), full_page=True)
        finally:
            await browser.close()
    assert shot.stat().st_size > 10_000
    ARTIFACT.parent.mkdir(exist_ok=True)
    shutil.copy(shot, ARTIFACT)
    print(f"screenshot: {shot} (copied to {ARTIFACT})")
