"""The resident web chat page and widget in a real browser (Debian's chromium), against the real
stack with the trained model: a short conversation, a button, a reload that keeps the history."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from bot.stack import Stack  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="apt-get install -y chromium")

WATCH_TYPING = """() => {
  const typing = document.querySelector('.tc-typing');
  window.__typingSeen = false;
  new MutationObserver(() => { if (!typing.hidden) window.__typingSeen = true; })
    .observe(typing, { attributes: true });
}"""


def test_a_resident_chats_clicks_a_button_and_keeps_the_history(stack: Stack, tmp_path):
    url = stack.url("rasa") + "/webhooks/webchat/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
            page = context.new_page()
            problems = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("requestfailed", lambda request: problems.append(request.url))
            page.goto(url)

            expect(page.get_by_role("heading", name="Newham Community Advice")).to_be_visible()
            expect(page.locator('a[href="tel:999"]')).to_be_visible()
            expect(page.locator('a[href="tel:116123"]')).to_be_visible()
            expect(page.get_by_role("button", name="Talk to a person")).to_be_visible()
            expect(page.get_by_role("log", name="Conversation")).to_have_attribute("aria-live", "polite")

            page.evaluate(WATCH_TYPING)
            box = page.get_by_label("Your message")
            expect(box).to_be_focused()
            box.type("I'm in rent arrears")
            page.keyboard.press("Enter")  # the keyboard alone sends
            expect(page.locator(".tc-bot .tc-choices").first).to_be_visible(timeout=30_000)
            consent = page.locator(".tc-bot").nth(page.locator(".tc-bot").count() - 1)  # the latest
            yes = consent.get_by_role("button", name="Yes, that's fine")
            expect(yes).to_be_visible()
            expect(consent.get_by_role("button", name="No, just book me in")).to_be_visible()
            print("\nbot said:", page.locator(".tc-bot .tc-text").all_inner_texts())
            assert page.evaluate("window.__typingSeen") is True
            expect(page.locator(".tc-typing")).to_be_hidden()

            yes.click()
            expect(page.get_by_text("what's been happening")).to_be_visible(timeout=30_000)
            expect(yes).to_be_disabled()  # an answered question's buttons are spent

            page.reload()
            log = page.get_by_role("log", name="Conversation")
            expect(log.get_by_text("I'm in rent arrears", exact=True)).to_be_visible()
            expect(log.get_by_text("note down", exact=False).first).to_be_visible()
            expect(log.get_by_text("what's been happening")).to_be_visible()
            for button in page.get_by_role("button", name="Yes, that's fine").all():
                expect(button).to_be_disabled()

            shot = tmp_path / "webchat.png"
            page.screenshot(path=str(shot))
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copy(shot, ARTIFACTS / "webchat.png")
            print(f"\nweb chat screenshot: {shot} (copied to {ARTIFACTS / 'webchat.png'})")

            bot_messages = page.locator(".tc-bot").count()
            page.get_by_role("button", name="Talk to a person").click()
            expect(page.locator(".tc-bot").nth(bot_messages)).to_be_visible(timeout=30_000)
            expect(page.locator(".tc-typing")).to_be_hidden()

            # the widget, embedded in another page of the same site, continues the conversation
            demo = context.new_page()  # the same browser profile (localStorage)
            demo.set_viewport_size({"width": 1280, "height": 800})
            demo.goto(stack.url("rasa") + "/webhooks/webchat/widget-demo.html")
            bubble = demo.get_by_role("button", name="Chat with us")
            bubble.click()
            panel = demo.get_by_role("dialog", name="Chat with Newham Community Advice")
            expect(panel).to_be_visible()
            expect(panel.get_by_text("I'm in rent arrears", exact=True)).to_be_visible()
            demo.keyboard.press("Escape")
            expect(panel).to_be_hidden()
            expect(bubble).to_be_focused()
            demo.screenshot(path=str(tmp_path / "widget.png"))
            assert problems == [], problems
        finally:
            browser.close()
