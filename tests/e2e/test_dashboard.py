"""The agents' dashboard in a real Chromium against a real server, with python-socketio
visitors on the other end."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import AXE_JS
from tests.helpers import AGENTS, PASSWORD, ROOT

XSS = '<img src=x onerror="window.__pwned = 1"><script>window.__pwned = 2</script>'


def sign_in(page: Page, server, who: str = "alice") -> None:
    """Sign in through the form and wait until the dashboard's socket is connected."""
    page.goto(server.url + "/login")
    page.fill("input[name=email]", AGENTS[who]["email"])
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url("**/dashboard/")
    expect(page.get_by_test_id("presence-switch")).to_be_visible()


def start_conversation(server, body: str, **profile):
    """A new visitor who writes ``body``; returns the client and the conversation id."""
    visitor = server.visitor(**profile)
    ack = visitor.ok("message:send", {"client_id": "v-" + uuid.uuid4().hex, "body": body})
    return visitor, ack["conversation"]["id"]


def inbox_item(page: Page, conversation_id: str):
    return page.locator(f'[data-testid="inbox-item"][data-conversation-id="{conversation_id}"]')


def reply(page: Page, text: str) -> None:
    page.get_by_test_id("reply-input").fill(text)
    page.get_by_test_id("reply-input").press("Enter")


@pytest.fixture
def visitors():
    """Visitor clients made by a test, closed after it."""
    made: list = []
    yield made
    for client in made:
        client.close()


def test_agent_sees_new_conversation_live_claims_and_replies(server, page, visitors):
    sign_in(page, server, "alice")
    visitor, cid = start_conversation(server, "Hello, my order is late", name="Vera Visitor")
    visitors.append(visitor)

    item = inbox_item(page, cid)
    expect(item).to_be_visible()
    expect(item).to_contain_text("Vera Visitor")
    expect(item).to_contain_text("Hello, my order is late")
    expect(page.get_by_test_id("view-unassigned")).to_have_attribute("aria-selected", "true")

    item.click()
    first = page.get_by_test_id("message").filter(has_text="Hello, my order is late")
    expect(first).to_have_attribute("data-sender", "visitor")
    page.get_by_test_id("claim").click()
    expect(page.get_by_test_id("conversation-assignee")).to_have_text("Assigned to you")
    expect(page.get_by_test_id("claim")).to_be_hidden()
    expect(page.get_by_test_id("claim")).to_have_count(1)

    reply(page, "Hi Vera, let me check.\nOne moment please.")
    got = visitor.wait_for("message:new", lambda m: m["body"].startswith("Hi Vera"))
    assert got["body"] == "Hi Vera, let me check.\nOne moment please."
    assert got["sender"]["name"] == AGENTS["alice"]["name"]
    sent = page.get_by_test_id("message").filter(has_text="Hi Vera, let me check.")
    expect(sent).to_have_attribute("data-sender", "agent")
    expect(sent).not_to_contain_text("Sending")

    # The conversation moved from Unassigned to Mine, live.
    expect(inbox_item(page, cid)).to_have_count(0)
    page.get_by_test_id("view-mine").click()
    expect(inbox_item(page, cid)).to_be_visible()


def test_private_note_never_reaches_the_visitor(server, page, visitors):
    sign_in(page, server, "alice")
    visitor, cid = start_conversation(server, "Can I get a refund?")
    visitors.append(visitor)
    inbox_item(page, cid).click()
    expect(page.get_by_test_id("message")).to_have_count(1)

    page.get_by_test_id("note-toggle").click()
    expect(page.get_by_test_id("note-toggle")).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("reply-input").fill("Internal: refund approved by finance")
    page.get_by_test_id("reply-send").click()
    note = page.locator('[data-testid="message"][data-private="true"]')
    expect(note).to_contain_text("Internal: refund approved by finance")
    expect(note).not_to_contain_text("Sending")
    expect(page.get_by_test_id("note-toggle")).to_have_attribute("aria-pressed", "false")

    reply(page, "Your refund is on its way.")
    visitor.wait_for("message:new", lambda m: m["body"] == "Your refund is on its way.")
    bodies = [m["body"] for m in visitor.received("message:new")]
    assert "Internal: refund approved by finance" not in bodies
    stored = visitor.ok("conversation:get")["messages"]
    assert [m["body"] for m in stored] == ["Can I get a refund?", "Your refund is on its way."]
    public = page.locator('[data-testid="message"]:not([data-private])')
    expect(public).to_have_count(2)


def test_visitor_markup_renders_as_text_and_runs_nothing(server, page, visitors):
    sign_in(page, server, "alice")
    visitor, cid = start_conversation(server, XSS, name='<b onmouseover="alert(1)">Eve</b>')
    visitors.append(visitor)
    item = inbox_item(page, cid)
    expect(item).to_contain_text(XSS)
    expect(item).to_contain_text('<b onmouseover="alert(1)">Eve</b>')
    item.click()
    message = page.locator('[data-testid="message"][data-sender="visitor"]')
    expect(message).to_have_count(1)
    assert message.locator(".msg-body").text_content() == XSS
    assert page.locator("#dashboard img, #dashboard script, #dashboard b").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_claim_moves_between_two_agents(server, browser, visitors):
    alice_context, bob_context = browser.new_context(), browser.new_context()
    try:
        alice, bob = alice_context.new_page(), bob_context.new_page()
        sign_in(alice, server, "alice")
        sign_in(bob, server, "bob")
        visitor, cid = start_conversation(server, "Who is there?", name="Sam")
        visitors.append(visitor)
        expect(inbox_item(alice, cid)).to_be_visible()
        expect(inbox_item(bob, cid)).to_be_visible()

        inbox_item(alice, cid).click()
        alice.get_by_test_id("claim").click()
        expect(alice.get_by_test_id("conversation-assignee")).to_have_text("Assigned to you")
        expect(inbox_item(bob, cid)).to_have_count(0)  # gone from Bob's Unassigned, live
        bob.get_by_test_id("view-open").click()
        expect(inbox_item(bob, cid)).to_contain_text(AGENTS["alice"]["name"])

        alice.select_option("#transfer-select", server.agent_id("bob"))
        alice.get_by_test_id("transfer").click()
        expect(alice.get_by_test_id("conversation-assignee")).to_have_text(
            "Assigned to " + AGENTS["bob"]["name"]
        )
        expect(alice.get_by_test_id("close-conversation")).to_be_hidden()
        bob.get_by_test_id("view-mine").click()
        inbox_item(bob, cid).click()
        expect(bob.get_by_test_id("conversation-assignee")).to_have_text("Assigned to you")

        bob.get_by_test_id("close-conversation").click()
        expect(bob.get_by_test_id("conversation-status")).to_have_text("Closed")
        visitor.wait_for("conversation:updated", lambda c: c["status"] == "closed")
        expect(alice.get_by_test_id("conversation-status")).to_have_text("Closed")
    finally:
        alice_context.close()
        bob_context.close()


ADD_CANNED = """
from support import create_app
from support.services import canned
app = create_app()
with app.app_context():
    canned.create_response("hours", "Opening hours", "We are open 9:00-18:00, Monday to Friday.")
"""


def test_canned_response_by_shortcut_typing_and_read_receipts(server, page, visitors):
    subprocess.run([sys.executable, "-c", ADD_CANNED], env=server.env, check=True, cwd=ROOT)
    sign_in(page, server, "alice")
    visitor, cid = start_conversation(server, "When are you open?")
    visitors.append(visitor)
    inbox_item(page, cid).click()
    # Opening the conversation tells the visitor it was read.
    visitor.wait_for("messages:read", lambda r: r["seq"] == 1 and r["by"] == "agent")

    visitor.ok("typing", {"typing": True})
    expect(page.locator("#typing-indicator")).to_contain_text("is typing")
    visitor.ok("typing", {"typing": False})
    expect(page.locator("#typing-indicator")).to_have_text("")

    box = page.get_by_test_id("reply-input")
    box.press_sequentially("/ho")
    visitor.wait_for("typing", lambda t: t["typing"] is True and t["from"] == "agent")
    expect(page.get_by_test_id("canned-option")).to_contain_text("/hours")
    box.press("Enter")  # inserts the canned text rather than sending "/ho"
    expect(box).to_have_value("We are open 9:00-18:00, Monday to Friday.")
    box.press("Enter")
    visitor.wait_for("message:new", lambda m: m["body"].startswith("We are open 9:00"))

    visitor.ok("messages:read", {"seq": 2})
    sent = page.get_by_test_id("message").filter(has_text="We are open 9:00")
    expect(sent).to_contain_text("Seen")


def test_dashboard_has_no_serious_accessibility_violations(server, page, visitors):
    sign_in(page, server, "alice")
    visitor, cid = start_conversation(server, "Accessibility check", name="Ali")
    visitors.append(visitor)
    inbox_item(page, cid).click()
    expect(page.get_by_test_id("message")).to_have_count(1)
    # The page's CSP forbids inline scripts, so axe is injected by the test harness outside it.
    page.context.add_init_script(AXE_JS.read_text())
    page.reload()
    inbox_item(page, cid).click()
    expect(page.get_by_test_id("message")).to_have_count(1)
    violations = page.evaluate("async () => (await axe.run()).violations")
    serious = [
        (v["id"], v["nodes"][0]["target"])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


def test_lost_ack_shows_failed_and_retry_stores_once(server, page, visitors):
    """The server stores a reply but neither its ack nor its broadcast reaches the page: the
    reply shows as failed, and Retry (same client_id) is answered with the stored message,
    which is stored once."""
    dropped = {}

    def route(ws):
        server_side = ws.connect_to_server()

        def to_page(message):
            text = message if isinstance(message, str) else ""
            kind = "42" if text.startswith('42/agent,["message:new"') else "43"
            wanted = text.startswith(("42/agent,", "43/agent,")) and '"message":{' in text
            if kind == "42":
                wanted = text.startswith('42/agent,["message:new"')
            if wanted and "lost ack" in text and kind not in dropped:
                dropped[kind] = text  # the reply's broadcast and its ack, once each
                return
            ws.send(message)

        server_side.on_message(to_page)

    page.route_web_socket("**/socket.io/**", route)
    sign_in(page, server, "alice")
    visitor, cid = start_conversation(server, "Is anyone there?", name="Ack Lost")
    visitors.append(visitor)
    inbox_item(page, cid).click()
    page.get_by_test_id("claim").click()
    reply(page, "lost ack, but stored")
    visitor.wait_for("message:new", lambda m: m["body"] == "lost ack, but stored")
    retry = page.get_by_test_id("retry")
    expect(retry).to_be_visible(timeout=20_000)
    assert set(dropped) == {"42", "43"}
    retry.click()
    expect(retry).to_have_count(0)
    mine = page.locator('[data-testid="message"][data-sender="agent"]', has_text="lost ack")
    expect(mine).to_have_count(1)
    stored = server.api("GET", f"/api/v1/conversations/{cid}").json()["messages"]
    assert [m["body"] for m in stored] == ["Is anyone there?", "lost ack, but stored"]
