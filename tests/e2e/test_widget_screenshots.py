"""Screenshots of the widget on the /demo page for the README: the closed launcher, the contact
panel and a chat, at desktop and phone widths. Saved to test-artifacts/ always and to
docs/screenshots/ with SUPPORT_UPDATE_SCREENSHOTS=1."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import save_screenshot
from tests.e2e.test_widget import FRAME, frame_of, open_chat, send, sent, wait_online

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", sorted(SIZES))
def test_widget_screenshots(server, browser, size):
    agent = server.agent("alice")
    context = browser.new_context(viewport=SIZES[size], locale="en-US")
    try:
        wait_online(server, True)
        page = context.new_page()
        page.goto(server.url + "/demo")
        expect(page.get_by_test_id("support-launcher")).to_be_visible()
        save_screenshot(page, f"widget-{size}-launcher.png")

        page.get_by_test_id("support-launcher").click()
        expect(frame_of(page).get_by_test_id("contact-phone")).to_be_visible()
        save_screenshot(page, f"widget-{size}-panel.png")

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
        save_screenshot(page, f"widget-{size}-chat.png")
    finally:
        context.close()
        agent.close()
