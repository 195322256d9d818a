"""The agents' inbox in Chromium: search, per-agent unread badges, notifications, the composer's
"/" menu, replies across a lost connection, and the layout at 1024 px."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from support.models import utcnow
from support.services.settings import WEEKDAYS
from tests.e2e.test_dashboard import inbox_item, reply, sign_in, start_conversation
from tests.helpers import Server, wait_until

# Records desktop notifications instead of showing them, as if the tab were in the background.
RECORD_NOTIFICATIONS = """
window.__notes = [];
window.Notification = function (title, options) {
  window.__notes.push({ title: title, body: (options || {}).body, tag: (options || {}).tag });
};
window.Notification.permission = "granted";
window.Notification.requestPermission = function () { return Promise.resolve("granted"); };
document.hasFocus = function () { return false; };
"""


@pytest.fixture
def visitors():
    made: list = []
    yield made
    for client in made:
        client.close()


@pytest.fixture
def two_pages(browser):
    """Two agents' browsers (separate contexts)."""
    contexts = [browser.new_context(), browser.new_context()]
    yield [context.new_page() for context in contexts]
    for context in contexts:
        context.close()


def _stored_bodies(server, conversation_id: str) -> list[str]:
    answer = server.api("GET", f"/api/v1/conversations/{conversation_id}")
    return [m["body"] for m in answer.json()["messages"]]


def test_inbox_search_finds_a_closed_conversation_and_clears(server, page, visitors):
    word = "walrus" + uuid.uuid4().hex[:6]
    visitor, cid = start_conversation(server, f"Where is my {word} order?", name="Sam Search")
    visitors.append(visitor)
    bob = server.agent("bob")
    bob.ok("conversation:claim", {"conversation_id": cid})
    bob.ok("conversation:close", {"conversation_id": cid})
    bob.close()

    sign_in(page, server, "alice")
    expect(inbox_item(page, cid)).to_have_count(0)  # closed: not in Unassigned
    page.get_by_test_id("inbox-search").fill(word.upper())
    expect(page.get_by_test_id("inbox-item")).to_have_count(1)
    expect(inbox_item(page, cid)).to_contain_text("Sam Search")
    expect(page.get_by_test_id("inbox-search-status")).to_have_text("1 conversation found")
    inbox_item(page, cid).click()
    expect(page.get_by_test_id("message").first).to_contain_text(word)

    page.get_by_test_id("inbox-search").fill("")
    expect(page.get_by_test_id("inbox-search-status")).to_be_hidden()
    expect(inbox_item(page, cid)).to_have_count(0)


def test_the_closed_tab_shows_its_count(server, page):
    sign_in(page, server, "alice")
    page.get_by_test_id("view-closed").click()
    total = server.api("GET", "/api/v1/conversations", params={"status": "closed"}).json()
    expect(page.locator('[data-count="closed"]')).to_have_text(str(total["total"]))


def test_opening_clears_only_this_agents_badge_and_title(server, two_pages, visitors):
    alice, bob = two_pages
    sign_in(alice, server, "alice")
    sign_in(bob, server, "bob")
    visitor, cid = start_conversation(server, "first question", name="Una Read")
    visitors.append(visitor)
    visitor.ok("message:send", {"client_id": "v-" + uuid.uuid4().hex, "body": "second"})
    for page in (alice, bob):
        expect(inbox_item(page, cid).get_by_test_id("unread-count")).to_have_text("2")
        expect(page).to_have_title("(2) Inbox · Support")  # (only this unread conversation)

    inbox_item(alice, cid).click()
    expect(alice.get_by_test_id("message")).to_have_count(2)
    expect(inbox_item(alice, cid).get_by_test_id("unread-count")).to_have_count(0)
    expect(alice).to_have_title("Inbox · Support")
    bob.wait_for_timeout(500)
    expect(inbox_item(bob, cid).get_by_test_id("unread-count")).to_have_text("2")
    expect(bob).to_have_title("(2) Inbox · Support")
    bob.reload()
    expect(inbox_item(bob, cid).get_by_test_id("unread-count")).to_have_text("2")

    # The visitor writes again while Alice reads it: her badge stays clear, Bob's grows.
    visitor.ok("message:send", {"client_id": "v-" + uuid.uuid4().hex, "body": "third"})
    expect(alice.get_by_test_id("message")).to_have_count(3)
    expect(inbox_item(bob, cid).get_by_test_id("unread-count")).to_have_text("3")
    expect(inbox_item(alice, cid).get_by_test_id("unread-count")).to_have_count(0)
    # Closing the visitor's chat for the other tests (Unassigned stays short).
    server.agent("admin").ok("conversation:close", {"conversation_id": cid})


def test_a_lone_slash_shows_no_canned_responses_and_sends_nothing(server, page, visitors):
    assert server.api("GET", "/api/v1/canned-responses", "admin").json()["items"] == []
    sign_in(page, server, "alice")
    visitor, cid = start_conversation(server, "hello")
    visitors.append(visitor)
    inbox_item(page, cid).click()
    expect(page.get_by_test_id("message")).to_have_count(1)
    box = page.get_by_test_id("reply-input")
    box.fill("/")
    expect(page.get_by_test_id("canned-empty")).to_contain_text("No canned responses yet")
    box.press("Enter")
    page.wait_for_timeout(500)
    expect(page.get_by_test_id("message")).to_have_count(1)
    assert _stored_bodies(server, cid) == ["hello"]
    box.press("Escape")
    expect(page.get_by_test_id("canned-empty")).to_be_hidden()
    server.agent("admin").ok("conversation:close", {"conversation_id": cid})


def test_notifications_once_per_new_conversation_none_when_away_one_on_transfer(
    server, browser, visitors
):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.add_init_script(RECORD_NOTIFICATIONS)
        sign_in(page, server, "alice")
        notes = lambda: page.evaluate("window.__notes")  # noqa: E731

        visitor, cid = start_conversation(server, "brand new", name="Nora Note")
        visitors.append(visitor)
        expect(inbox_item(page, cid)).to_be_visible()
        page.wait_for_timeout(700)
        assert [n["tag"] for n in notes()] == [cid]

        bob = server.agent("bob")
        bob.ok("conversation:claim", {"conversation_id": cid})
        to_alice = {"conversation_id": cid, "agent_id": server.agent_id("alice")}
        bob.ok("conversation:transfer", to_alice)
        wait_until(lambda: len(notes()) == 2, what="a notification for the transfer")
        assert notes()[1]["title"] == "Assigned to you" and notes()[1]["tag"] == cid
        bob.close()

        page.locator('[data-testid="presence-switch"] [data-status="away"]').click()
        expect(page.locator('[data-status="away"]')).to_have_attribute("aria-pressed", "true")
        quiet, quiet_id = start_conversation(server, "while away", name="Quiet Quinn")
        visitors.append(quiet)
        expect(inbox_item(page, quiet_id)).to_be_visible()
        page.wait_for_timeout(700)
        assert len(notes()) == 2
        page.locator('[data-testid="presence-switch"] [data-status="online"]').click()
        server.agent("admin").ok("conversation:close", {"conversation_id": quiet_id})
        server.agent("admin").ok("conversation:close", {"conversation_id": cid})
    finally:
        context.close()


def test_a_reply_written_offline_is_sent_once_the_connection_is_back(
    server_factory, page, visitors
):
    server = server_factory()
    sign_in(page, server, "alice")
    visitor, cid = start_conversation(server, "are you there?")
    visitors.append(visitor)
    inbox_item(page, cid).click()
    page.get_by_test_id("claim").click()
    expect(page.get_by_test_id("transfer-select")).to_be_visible()

    port = int(server.url.rsplit(":", 1)[1])
    server.stop()
    banner = page.get_by_test_id("reconnecting")
    expect(banner).to_be_visible()
    transfer, bar = page.get_by_test_id("transfer-select").bounding_box(), banner.bounding_box()
    assert bar["y"] + bar["height"] <= transfer["y"], "the banner covers the Transfer control"

    reply(page, "written while offline")
    sent = page.get_by_test_id("message").filter(has_text="written while offline")
    expect(sent).to_contain_text("Waiting for the connection")
    page.wait_for_timeout(11_000)  # past the ack timeout: still waiting, not failed
    expect(page.get_by_test_id("retry")).to_have_count(0)

    restarted = Server.launch(server.env, Path(server.log).parent, port)
    try:
        expect(banner).to_be_hidden(timeout=20_000)
        expect(sent).not_to_contain_text("Waiting", timeout=15_000)
        expect(page.get_by_test_id("retry")).to_have_count(0)
        wait_until(lambda: "written while offline" in _stored_bodies(restarted, cid))
        assert _stored_bodies(restarted, cid) == ["are you there?", "written while offline"]
    finally:
        restarted.stop()


def test_at_1024_px_tab_counts_fit_and_details_open(server, browser, visitors):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    try:
        page = context.new_page()
        sign_in(page, server, "alice")
        visitor, cid = start_conversation(server, "small screen", name="Tess Tablet")
        visitors.append(visitor)
        expect(inbox_item(page, cid)).to_be_visible()
        page.get_by_test_id("view-closed").click()
        expect(page.locator('[data-count="closed"]')).not_to_be_empty()
        for view in ("unassigned", "mine", "open", "closed"):
            tab = page.get_by_test_id(f"view-{view}")
            label = tab.locator("span").first.bounding_box()
            count = tab.locator(".tab-count").bounding_box()
            box = tab.bounding_box()
            if count and count["width"]:
                assert label["x"] + label["width"] <= count["x"], view
                assert count["x"] + count["width"] <= box["x"] + box["width"] + 0.5, view
            assert tab.locator("span").first.evaluate("e => e.scrollWidth <= e.clientWidth"), view

        page.get_by_test_id("view-unassigned").click()
        inbox_item(page, cid).click()
        expect(page.locator("#ctx-name")).to_be_hidden()
        page.get_by_test_id("details-toggle").click()
        expect(page.locator("#ctx-name")).to_have_text("Tess Tablet")
        page.get_by_test_id("details-close").click()
        expect(page.locator("#ctx-name")).to_be_hidden()
        server.agent("admin").ok("conversation:close", {"conversation_id": cid})
    finally:
        context.close()


def test_an_agent_opening_admin_gets_a_page_with_a_way_back(server, page):
    sign_in(page, server, "alice")
    answer = page.goto(server.url + "/admin/")
    assert answer.status == 403
    expect(page.get_by_role("heading", name="Admins only")).to_be_visible()
    page.get_by_test_id("back-to-inbox").click()
    page.wait_for_url("**/dashboard/")


def test_the_dashboard_and_the_admin_show_the_same_friendly_name(server, page, visitors):
    sign_in(page, server, "admin")
    visitor, cid = start_conversation(server, "no name given")
    visitors.append(visitor)
    detail = server.api("GET", f"/api/v1/conversations/{cid}").json()
    name = detail["conversation"]["visitor"]["name"]
    expect(inbox_item(page, cid)).to_contain_text(name)
    page.goto(server.url + "/admin/transcripts?q=" + name.replace(" ", "+"))
    expect(page.get_by_test_id("transcript-row")).to_contain_text(name)
    server.agent("admin").ok("conversation:close", {"conversation_id": cid})


def test_drafts_survive_switching_and_reloads_and_the_view_is_remembered(server, page, visitors):
    sign_in(page, server, "alice")
    first, first_id = start_conversation(server, "draft one", name="Dora Draft")
    second, second_id = start_conversation(server, "draft two", name="Dan Draft")
    visitors.extend([first, second])
    box = page.get_by_test_id("reply-input")
    inbox_item(page, first_id).click()
    expect(box).to_be_focused()  # opening a conversation puts the cursor in the composer
    box.fill("half-written answer")
    inbox_item(page, second_id).click()
    expect(page.locator("#conv-title")).to_have_text("Dan Draft")
    expect(box).to_have_value("")
    page.get_by_test_id("view-open").click()
    page.reload()
    expect(page.get_by_test_id("view-open")).to_have_attribute("aria-selected", "true")
    inbox_item(page, first_id).click()
    expect(page.locator("#conv-title")).to_have_text("Dora Draft")
    expect(box).to_have_value("half-written answer")
    box.press("Enter")
    expect(page.get_by_test_id("message").filter(has_text="half-written answer")).to_be_visible()
    page.reload()
    inbox_item(page, first_id).click()
    expect(page.locator("#conv-title")).to_have_text("Dora Draft")
    expect(box).to_have_value("")
    for cid in (first_id, second_id):
        server.agent("admin").ok("conversation:close", {"conversation_id": cid})


def test_keyboard_shortcuts_move_claim_and_close(server, page, visitors):
    sign_in(page, server, "alice")
    made = [start_conversation(server, f"keys {n}", name=f"Kay {n}") for n in range(2)]
    visitors.extend(visitor for visitor, _ in made)
    for _, cid in made:
        expect(inbox_item(page, cid)).to_be_visible()
    ids = page.locator('[data-testid="inbox-item"]').evaluate_all(
        "nodes => nodes.map(n => n.dataset.conversationId)"
    )
    inbox_item(page, ids[0]).click()
    box = page.get_by_test_id("reply-input")
    expect(box).to_be_focused()
    box.press("Escape")
    page.keyboard.press("?")
    expect(page.get_by_test_id("shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("shortcuts")).to_be_hidden()

    page.keyboard.press("j")
    expect(inbox_item(page, ids[1])).to_have_attribute("aria-current", "true")
    expect(page.get_by_test_id("claim")).to_be_visible()
    page.keyboard.press("c")
    expect(page.get_by_test_id("conversation-assignee")).to_have_text("Assigned to you")
    page.keyboard.press("r")
    expect(box).to_be_focused()
    box.press("Escape")
    page.keyboard.press("e")
    expect(page.get_by_test_id("conversation-status")).to_have_text("Closed")
    page.keyboard.press("/")
    expect(page.get_by_test_id("inbox-search")).to_be_focused()
    for cid in ids:
        server.agent("admin").ok("conversation:close", {"conversation_id": cid})


def test_waiting_conversations_are_marked_until_answered(server, page, visitors):
    sign_in(page, server, "alice")
    visitor, cid = start_conversation(server, "hello?", name="Wendy Wait")
    visitors.append(visitor)
    expect(inbox_item(page, cid).get_by_test_id("waiting")).to_be_visible()
    inbox_item(page, cid).click()
    reply(page, "Hi Wendy!")
    page.get_by_test_id("view-mine").click()
    expect(inbox_item(page, cid)).to_be_visible()
    expect(inbox_item(page, cid).get_by_test_id("waiting")).to_have_count(0)
    visitor.ok("message:send", {"client_id": "v-" + uuid.uuid4().hex, "body": "thanks, but"})
    expect(inbox_item(page, cid).get_by_test_id("waiting")).to_be_visible()
    server.agent("admin").ok("conversation:close", {"conversation_id": cid})


def test_an_agent_sees_a_colleague_viewing_and_typing(server, two_pages, visitors):
    alice, bob = two_pages
    sign_in(alice, server, "alice")
    sign_in(bob, server, "bob")
    visitor, cid = start_conversation(server, "two agents, one visitor", name="Cleo Clash")
    visitors.append(visitor)
    inbox_item(alice, cid).click()
    inbox_item(bob, cid).click()
    expect(alice.get_by_test_id("collision")).to_have_text("Bob Agent is viewing")
    bob.get_by_test_id("reply-input").type("I'll take th")
    expect(alice.get_by_test_id("collision")).to_have_text("Bob Agent is typing…")
    expect(bob.get_by_test_id("collision")).to_have_text("Alice Agent is viewing")
    bob.goto(server.url + "/dashboard/")
    expect(alice.get_by_test_id("collision")).to_be_hidden(timeout=10_000)
    server.agent("admin").ok("conversation:close", {"conversation_id": cid})


def test_activity_lines_show_inline_in_the_dashboard_and_the_admin_transcript(
    server, page, visitors
):
    sign_in(page, server, "admin")
    visitor, cid = start_conversation(server, "where is my parcel?", name="Ivy Inline")
    visitors.append(visitor)
    inbox_item(page, cid).click()
    page.get_by_test_id("claim").click()
    lines = page.get_by_test_id("activity")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("Ada Admin claimed the conversation")
    bob = server.agent("bob")  # online, so Ada can transfer to Bob
    page.get_by_test_id("transfer-select").select_option(label="Bob Agent")
    page.get_by_test_id("transfer-note").fill("knows the courier")
    page.get_by_test_id("transfer").click()
    expect(lines.last).to_contain_text("transferred the conversation to Bob Agent")
    expect(lines.last).to_contain_text("knows the courier")
    page.get_by_test_id("close-conversation").click()
    expect(lines).to_have_count(3)
    expect(page.get_by_test_id("message")).to_have_count(1)
    bob.close()

    page.goto(server.url + f"/admin/transcripts/{cid}")
    rows = page.get_by_test_id("transcript-activity")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Ada Admin claimed the conversation")


def test_on_a_phone_the_inbox_and_the_conversation_take_turns(server, browser, visitors):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        sign_in(page, server, "alice")
        visitor, cid = start_conversation(server, "from my phone", name="Pia Phone")
        visitors.append(visitor)
        inbox_item(page, cid).click()
        expect(page.locator("#conv-title")).to_have_text("Pia Phone")
        expect(inbox_item(page, cid)).to_be_hidden()
        reply_box = page.get_by_test_id("reply-input").bounding_box()
        assert reply_box["x"] >= 0 and reply_box["x"] + reply_box["width"] <= 390
        page.get_by_test_id("back-to-list").click()
        expect(inbox_item(page, cid)).to_be_visible()
        expect(page.locator("#conv-title")).to_be_hidden()
        server.agent("admin").ok("conversation:close", {"conversation_id": cid})
    finally:
        context.close()


def _chat_online(server) -> bool:
    return server.api("GET", "/api/widget/config").json()["chat"]["online"]


def _closed_all_week() -> dict:
    """Business hours that exclude the present moment every day of the week (UTC)."""
    span = (
        {"open": "23:00", "close": "23:59"}
        if utcnow().hour < 12
        else {"open": "00:00", "close": "00:59"}
    )
    return {"enabled": True, "timezone": "UTC", "days": dict.fromkeys(WEEKDAYS, span)}


def _set_hours(server, hours: dict) -> None:
    answer = server.api("PATCH", "/api/v1/settings/widget", "admin", json={"hours": hours})
    assert answer.status_code == 200, answer.text


def test_offline_messages_are_marked_with_the_visitors_email(server, page, visitors):
    """Written while live chat was off (here: outside business hours; tests/test_inbox.py also
    has nobody online): marked in the inbox and the header with the email (or that none was
    given); the composer says an unread reply goes by email."""
    _set_hours(server, _closed_all_week())
    try:
        with_email, with_email_id = start_conversation(
            server, "Are you there?", name="Olga Offline", email="olga@example.com"
        )
        without_email, without_email_id = start_conversation(server, "Hello?", name="Nell Noemail")
        visitors.extend([with_email, without_email])
    finally:
        _set_hours(server, {"enabled": False})

    sign_in(page, server, "alice")
    wait_until(lambda: _chat_online(server), what="alice online")
    live, live_id = start_conversation(server, "Hi, quick question", name="Lena Live")
    visitors.append(live)
    expect(inbox_item(page, live_id)).to_be_visible()
    expect(inbox_item(page, live_id).get_by_test_id("offline-mark")).to_have_count(0)
    marked = inbox_item(page, with_email_id).get_by_test_id("offline-mark")
    expect(marked).to_contain_text("Offline message")
    expect(marked.get_by_test_id("offline-email")).to_have_text("olga@example.com")
    no_email = inbox_item(page, without_email_id).get_by_test_id("offline-email")
    expect(no_email).to_have_text("no email given")

    inbox_item(page, with_email_id).click()
    header = page.get_by_test_id("conversation-offline")
    expect(header).to_contain_text("Offline message")
    expect(header).to_contain_text("olga@example.com")
    expect(page.get_by_test_id("reply-by-email")).to_contain_text("by email at olga@example.com")
    inbox_item(page, without_email_id).click()
    expect(header).to_contain_text("no email given")
    expect(page.get_by_test_id("reply-by-email")).to_be_hidden()
    inbox_item(page, live_id).click()
    expect(header).to_be_hidden()
    expect(page.get_by_test_id("reply-by-email")).to_be_hidden()
