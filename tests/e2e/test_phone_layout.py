"""The dashboard and the admin pages on a phone-sized screen (375 × 812) in a real Chromium: one
column at a time with back buttons, an agent who claims and answers a chat from the phone, no page
wider than the screen, nothing stray in the top-left corner, and the README's phone screenshots."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.conftest import run_axe, save_screenshot
from tests.e2e.test_accessibility import serious
from tests.e2e.test_dashboard import inbox_item, reply, sign_in, start_conversation
from tests.e2e.test_dashboard_screens import CHROME_UA, say

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}
# One unbroken word and a long address: what once made the message column one letter wide.
LONG_WORD = "Supercalifragilistic" * 6
LONG_URL = "https://techsouls.example/orders/" + "a1b2c3d4" * 8


@pytest.fixture
def phone(browser):
    """A page in a phone-sized window."""
    context = browser.new_context(viewport=PHONE, color_scheme="light", user_agent=CHROME_UA)
    yield context.new_page()
    context.close()


@pytest.fixture
def visitors():
    made: list = []
    yield made
    for client in made:
        client.close()


def assert_fits(page: Page, where: str) -> None:
    """The page is no wider than the window: nothing to scroll sideways."""
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"{where}: the page is {scroll} px wide in a {inner} px window"


def pane(page: Page) -> str:
    return page.locator("#dashboard").get_attribute("data-pane")


def test_an_agent_on_a_phone_claims_and_answers_a_chat_then_goes_back(server, phone, visitors):
    sign_in(phone, server, "alice")
    visitor, cid = start_conversation(
        server, f"Is anyone there? My order {LONG_URL} never came", name="Theo Train"
    )
    visitors.append(visitor)
    item = inbox_item(phone, cid)
    expect(item).to_be_visible()
    expect(phone.locator("#conversation")).to_be_hidden()
    assert_fits(phone, "inbox")

    item.click()
    expect(phone.locator("#conv-title")).to_have_text("Theo Train")
    expect(item).to_be_hidden()
    assert pane(phone) == "conversation"
    first = phone.get_by_test_id("message").filter(has_text="Is anyone there?")
    expect(first).to_be_visible()
    bubble = first.bounding_box()
    assert bubble["width"] >= 200, bubble  # a readable column, not one letter per line
    assert bubble["x"] >= 0 and bubble["x"] + bubble["width"] <= PHONE["width"]
    assert_fits(phone, "conversation")

    phone.get_by_test_id("claim").click()
    expect(phone.get_by_test_id("conversation-assignee")).to_have_text("Assigned to you")
    reply(phone, "Hi Theo, I'm on it: your parcel left the warehouse this morning.")
    got = visitor.wait_for("message:new", lambda m: m["body"].startswith("Hi Theo"))
    assert got["sender"]["name"] == "Alice Agent"
    sent = phone.get_by_test_id("message").filter(has_text="Hi Theo, I'm on it")
    expect(sent).to_have_attribute("data-sender", "agent")
    expect(sent).not_to_contain_text("Sending")
    composer = phone.get_by_test_id("reply-send").bounding_box()
    assert composer["y"] + composer["height"] <= PHONE["height"]

    # The visitor's details take the screen, with a way back to the conversation.
    details = phone.get_by_role("button", name="Details")
    expect(details).to_have_attribute("aria-expanded", "false")
    details.click()
    expect(phone.locator("#ctx-name")).to_have_text("Theo Train")
    expect(phone.locator("#transcript")).to_be_hidden()
    expect(phone.locator("#btn-details")).to_have_attribute("aria-expanded", "true")
    assert_fits(phone, "details")
    back_to_conversation = phone.get_by_role("button", name="Back to the conversation")
    expect(back_to_conversation).to_be_focused()
    back_to_conversation.click()
    expect(sent).to_be_visible()
    expect(phone.locator("#ctx-name")).to_be_hidden()
    expect(details).to_be_focused()
    expect(details).to_have_attribute("aria-expanded", "false")

    phone.get_by_role("button", name="Back to the inbox").click()
    expect(phone.locator("#conversation")).to_be_hidden()
    expect(phone.get_by_test_id("inbox-search")).to_be_visible()
    assert pane(phone) == "inbox"
    phone.get_by_test_id("view-mine").click()
    expect(inbox_item(phone, cid)).to_be_visible()
    expect(inbox_item(phone, cid)).to_contain_text("Hi Theo, I'm on it")
    assert_fits(phone, "inbox after the chat")
    server.agent("admin").ok("conversation:close", {"conversation_id": cid})


def test_a_stale_conversation_link_on_a_phone_shows_the_inbox(server, phone):
    sign_in(phone, server, "alice")
    phone.goto(server.url + "/dashboard/#c=no-such-conversation")
    expect(phone.get_by_test_id("inbox-search")).to_be_visible()
    expect(phone.locator("#conversation")).to_be_hidden()


def test_no_dashboard_or_admin_page_scrolls_sideways_on_a_phone(server, phone, visitors):
    visitor, cid = start_conversation(
        server, f"{LONG_WORD} and {LONG_URL}", name="Maximiliana " + LONG_WORD[:80]
    )
    visitors.append(visitor)
    sign_in(phone, server, "admin")
    assert_fits(phone, "dashboard")
    inbox_item(phone, cid).click()
    expect(phone.get_by_test_id("message")).to_have_count(1)
    assert_fits(phone, "dashboard, conversation")
    phone.get_by_test_id("details-toggle").click()
    expect(phone.locator("#ctx-name")).to_be_visible()
    assert_fits(phone, "dashboard, details")

    phone.goto(server.url + "/dashboard/preferences")
    assert_fits(phone, "preferences")

    phone.goto(server.url + "/admin/")
    nav = phone.get_by_role("navigation", name="Admin sections").get_by_role("link")
    urls = nav.evaluate_all("links => links.map(link => link.href)")
    assert len(urls) >= 10
    # The pages behind the lists: an agent, a transcript (both with long content).
    urls += [server.url + f"/admin/agents/{server.agent_id('alice')}"]
    urls += [server.url + f"/admin/transcripts/{cid}"]
    for url in urls:
        answer = phone.goto(url)
        assert answer.ok, url
        expect(phone.locator("main").first).to_be_visible()
        assert_fits(phone, url)
        # Every link of the admin navigation is on the screen, none pushed off to the side.
        for box in phone.locator(".admin-nav a").evaluate_all(
            "links => links.map(link => link.getBoundingClientRect().right)"
        ):
            assert box <= PHONE["width"], url

    # A wide table scrolls inside its card, not the page.
    phone.goto(server.url + "/admin/transcripts")
    scroller = phone.locator(".table-scroll")
    expect(scroller).to_have_count(1)
    assert scroller.evaluate("box => box.scrollWidth > box.clientWidth")
    assert_fits(phone, "transcripts")
    server.agent("admin").ok("conversation:close", {"conversation_id": cid})


def test_the_phone_layout_has_no_serious_accessibility_violations(server, browser, visitors):
    """axe-core on each pane of the dashboard and on pages with scrolling tables, at 375 px."""
    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # axe is an inline script
    try:
        page = context.new_page()
        visitor, cid = start_conversation(server, "Checking on a phone", name="Ana Axe")
        visitors.append(visitor)
        sign_in(page, server, "admin")
        assert serious(run_axe(page)) == [], "inbox"
        inbox_item(page, cid).click()
        expect(page.get_by_test_id("message")).to_have_count(1)
        assert serious(run_axe(page)) == [], "conversation"
        page.get_by_test_id("details-toggle").click()
        expect(page.locator("#ctx-name")).to_have_text("Ana Axe")
        assert serious(run_axe(page)) == [], "details"
        for path in ("/admin/transcripts", "/admin/agents", "/admin/audit"):
            page.goto(server.url + path)
            assert serious(run_axe(page)) == [], path
        server.agent("admin").ok("conversation:close", {"conversation_id": cid})
    finally:
        context.close()


def _top_left_corner(page: Page) -> set:
    """The colours of the strip above the brand mark, at the top-left of the top bar."""
    png = page.screenshot(clip={"x": 0, "y": 0, "width": 160, "height": 6})
    return set(Image.open(io.BytesIO(png)).convert("RGB").get_flattened_data())


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_nothing_stray_in_the_top_left_corner(server, browser, viewport):
    context = browser.new_context(viewport=viewport, color_scheme="light")
    try:
        page = context.new_page()
        sign_in(page, server, "admin")
        for path in ("/dashboard/", "/admin/", "/dashboard/preferences"):
            page.goto(server.url + path)
            expect(page.locator(".topbar")).to_be_visible()
            bar = page.locator(".topbar").evaluate("bar => getComputedStyle(bar).backgroundColor")
            assert bar == "rgb(255, 255, 255)"
            assert _top_left_corner(page) == {(255, 255, 255)}, path
        # The skip link still appears when it has the focus.
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()
    finally:
        context.close()


def test_phone_screenshots(server_factory, browser):
    """The README's phone pictures, from a server of its own with tidy data (the agent signs in
    first, so the chats start while someone is online)."""
    server = server_factory()
    context = browser.new_context(viewport=PHONE, color_scheme="light", user_agent=CHROME_UA)
    visitors: list = []
    try:
        page = context.new_page()
        sign_in(page, server, "alice")
        for name, body in [
            ("Maya Chen", "Hi! Does the Pro plan include phone support?"),
            ("Jonas Weber", "My invoice shows the wrong company address."),
            ("Priya Nair", "I can't reset my password, the link expired."),
        ]:
            answer = requests.post(
                server.url + "/api/widget/visitors",
                json={"name": name, "page_url": "https://techsouls.example/", "locale": "en-GB"},
                headers={"User-Agent": CHROME_UA},
                timeout=10,
            )
            visitors.append(server.visitor(token=answer.json()["token"]))
            say(visitors[-1], body)
        expect(page.get_by_test_id("inbox-item")).to_have_count(3)
        expect(page.get_by_text("Offline message")).to_have_count(0)
        save_screenshot(page, "dashboard-phone-inbox.png")

        first = say(visitors[0], "We are a team of 12 people.")["conversation"]["id"]
        inbox_item(page, first).click()
        page.get_by_test_id("claim").click()
        expect(page.get_by_test_id("conversation-assignee")).to_have_text("Assigned to you")
        reply(page, "Hi Maya! Yes, Pro includes phone support on weekdays, 9:00-18:00.")
        visitors[0].wait_for("message:new", lambda m: m["body"].startswith("Hi Maya"))
        say(visitors[0], "Perfect, thank you!")
        expect(page.get_by_test_id("message")).to_have_count(4)
        expect(page.get_by_test_id("message").last).not_to_contain_text("Sending")
        page.get_by_test_id("reply-input").blur()
        save_screenshot(page, "dashboard-phone-conversation.png")

        context.clear_cookies()  # on to the admin pages, as an admin
        sign_in(page, server, "admin")
        page.goto(server.url + "/admin/transcripts")
        table = page.locator(".table-scroll")
        expect(table).to_be_visible()
        table.evaluate("box => box.scrollIntoView({block: 'end'})")
        save_screenshot(page, "admin-phone-transcripts.png")
    finally:
        context.close()
        for visitor in visitors:
            visitor.close()
        server.discard()


def test_dashboard_modules_load_under_the_page_policy(server, phone):
    """The dashboard's ES modules (layout.js among them) load under script-src 'self' with no
    error, and the page starts on the inbox."""
    errors: list[str] = []
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(phone, server, "alice")
    tag = phone.locator('script[type="module"][src*="dashboard/main"]')
    expect(tag).to_have_count(1)
    assert requests.get(server.url + tag.get_attribute("src"), timeout=10).ok
    assert pane(phone) == "inbox"
    assert not errors, errors
