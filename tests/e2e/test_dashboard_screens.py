"""The dashboard on a server of its own: screenshots for the README with tidy data, and the
reconnect path (the server goes away and comes back; nothing is missing, nothing doubled)."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import requests
from playwright.sync_api import expect

from tests.e2e.conftest import save_screenshot
from tests.e2e.test_dashboard import inbox_item, reply, sign_in
from tests.helpers import Server

CHROME_UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)


def say(visitor, body: str) -> dict:
    return visitor.ok("message:send", {"client_id": "v-" + uuid.uuid4().hex, "body": body})


def test_inbox_and_conversation_screenshots(server, browser):
    people = [
        ("Maya Chen", "maya@example.com", "Hi! Does the Pro plan include phone support?"),
        ("Jonas Weber", None, "My invoice shows the wrong company address."),
        (None, None, "Is the store open on Sundays?"),
        ("Priya Nair", "priya@example.com", "I can't reset my password, the link expired."),
    ]
    visitors = []
    for name, email, body in people:
        profile = {
            "name": name,
            "email": email,
            "page_url": "https://techsouls.example/pricing",
            "referrer": "https://www.google.com/",
            "locale": "en-GB",
        }
        answer = requests.post(
            server.url + "/api/widget/visitors",
            json={k: v for k, v in profile.items() if v},
            headers={"User-Agent": CHROME_UA},
            timeout=10,
        )
        visitor = server.visitor(token=answer.json()["token"])
        say(visitor, body)
        visitors.append(visitor)
    context = browser.new_context(
        viewport={"width": 1440, "height": 860}, user_agent=CHROME_UA, color_scheme="light"
    )
    try:
        page = context.new_page()
        sign_in(page, server, "alice")
        expect(page.get_by_test_id("inbox-item")).to_have_count(4)
        save_screenshot(page, "dashboard-inbox.png")

        first = say(visitors[0], "We are a team of 12 people.")["conversation"]["id"]
        inbox_item(page, first).click()
        page.get_by_test_id("claim").click()
        expect(page.get_by_test_id("conversation-assignee")).to_have_text("Assigned to you")
        reply(page, "Hi Maya! Yes, Pro includes phone support on weekdays, 9:00-18:00.")
        page.get_by_test_id("note-toggle").click()
        reply(page, "Existing customer on Starter, good upsell candidate.")
        visitors[0].wait_for("message:new", lambda m: m["body"].startswith("Hi Maya"))
        say(visitors[0], "Perfect, and can we add more seats later?")
        expect(page.get_by_test_id("message")).to_have_count(5)
        page.get_by_test_id("reply-input").fill("Of course, seats can be added any time from")
        expect(page.get_by_test_id("activity")).to_contain_text("Alice Agent claimed")
        expect(page.locator('[data-count="mine"]')).to_have_text("1")
        save_screenshot(page, "dashboard-conversation.png")

        page.get_by_test_id("inbox-search").fill("password")
        expect(page.get_by_test_id("inbox-search-status")).to_have_text("1 conversation found")
        save_screenshot(page, "dashboard-search.png")
    finally:
        context.close()
        for visitor in visitors:
            visitor.close()


def test_reconnect_shows_a_banner_then_catches_up_without_gaps_or_doubles(server_factory, page):
    server = server_factory()
    visitor = server.visitor(name="Rita")
    conversation = say(visitor, "Are you there?")["conversation"]["id"]
    token = visitor.token
    sign_in(page, server, "alice")
    inbox_item(page, conversation).click()
    expect(page.get_by_test_id("message")).to_have_count(1)
    visitor.close()

    server.stop()
    expect(page.get_by_test_id("reconnecting")).to_be_visible()
    workdir = server.log.parent
    again = Server.launch(server.env, workdir, port=urlsplit(server.url).port)
    try:
        back = again.visitor(token=token)
        say(back, "Hello again, after the outage")
        expect(page.get_by_test_id("reconnecting")).to_be_hidden(timeout=20_000)
        missed = page.get_by_test_id("message").filter(has_text="Hello again, after the outage")
        expect(missed).to_have_count(1)
        reply(page, "Yes, still here.")
        back.wait_for("message:new", lambda m: m["body"] == "Yes, still here.")
        say(back, "Great")
        expect(page.get_by_test_id("message")).to_have_count(4)
        seqs = page.locator('[data-testid="message"]').evaluate_all(
            "nodes => nodes.map(n => Number(n.dataset.seq))"
        )
        assert seqs == [1, 2, 3, 4]
        back.close()
    finally:
        again.stop()
