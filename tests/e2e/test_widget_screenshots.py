"""Screenshots of the widget on the /demo page for the README: the closed launcher, the contact
panel and a chat, at desktop and phone widths. Saved to test-artifacts/ always and to
docs/screenshots/ with SUPPORT_UPDATE_SCREENSHOTS=1."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_widget import FRAME, frame_of, open_chat, send, sent, wait_online

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def save(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    if os.environ.get("SUPPORT_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS / name)


@pytest.mark.parametrize("size", sorted(SIZES))
def test_widget_screenshots(server, browser, size):
    agent = server.agent("alice")
    context = browser.new_context(viewport=SIZES[size], locale="en-US")
    try:
        wait_online(server, True)
        page = context.new_page()
        page.goto(server.url + "/demo")
        expect(page.get_by_test_id("support-launcher")).to_be_visible()
        save(page, f"widget-{size}-launcher.png")

        page.get_by_test_id("support-launcher").click()
        expect(frame_of(page).get_by_test_id("contact-phone")).to_be_visible()
        save(page, f"widget-{size}-panel.png")

        frame_of(page).get_by_test_id("widget-close").click()
        expect(page.locator(FRAME)).to_be_hidden()
        frame = open_chat(page)
        send(frame, "Hi! Do you offer support for small offices?")
        sent(frame, "small offices")
        message = agent.wait_for("message:new", lambda m: "small offices" in m["body"])
        conversation_id = message["conversation_id"]
        agent.ok("conversation:claim", {"conversation_id": conversation_id})
        agent.ok(
            "message:send",
            {
                "conversation_id": conversation_id,
                "client_id": f"shot-{size}",
                "body": "We do! Plans start at 5 seats: https://techsouls.example/plans",
            },
        )
        expect(frame.locator("[data-sender='agent']")).to_have_count(1)
        agent.ok("typing", {"conversation_id": conversation_id, "typing": True})
        expect(frame.get_by_text("is typing")).to_be_visible()
        save(page, f"widget-{size}-chat.png")
    finally:
        context.close()
        agent.close()
