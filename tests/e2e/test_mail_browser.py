"""The offline loop in Chromium: a visitor leaves a message and an email, the agent answers,
the mail arrives (aiosmtpd), and its link reopens the chat in another browser. Also the
widget's "Email me this conversation"."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import embed_page
from tests.e2e.test_mail import mails_to
from tests.e2e.test_widget import frame_of, open_chat, send, sent, wait_online
from tests.receivers import MailReceiver, text_part

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module")
def smtp():
    receiver = MailReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def server(server_factory, smtp):
    return server_factory(
        SUPPORT_SMTP_URL=smtp.url,
        SUPPORT_MAIL_UNREAD_DELAY_SECONDS="1",
        SUPPORT_OUTBOX_POLL_SECONDS="0.2",
    )


@pytest.fixture
def host_url(server, host_site):
    return host_site.add(f"/shop-{uuid.uuid4().hex[:8]}", embed_page(server.url, "Shop"))


def test_the_mailed_link_reopens_the_chat_in_another_browser(server, smtp, browser, host_url):
    wait_online(server, False)
    first = browser.new_context()
    page = first.new_page()
    page.goto(host_url)
    page.get_by_test_id("support-launcher").click()
    frame = frame_of(page)
    frame.get_by_test_id("start-chat").click()
    email = f"away-{uuid.uuid4().hex[:6]}@example.com"
    send(frame, "Do you ship to Lisbon?")
    frame.get_by_label("Your email").fill(email)
    frame.get_by_test_id("chat-send").click()
    sent(frame, "Do you ship to Lisbon?")
    first.close()  # the visitor leaves

    agent = server.agent("alice")
    conversation_id = server.api("GET", "/api/v1/conversations", params={"q": email}).json()[
        "items"
    ][0]["id"]
    agent.ok(
        "message:send",
        {
            "conversation_id": conversation_id,
            "client_id": uuid.uuid4().hex,
            "body": "Yes, in 3 days.",
        },
    )
    [mail] = mails_to(smtp, email)
    link = re.search(r"https?://\S+/widget/return/\S+", text_part(mail)).group(0)

    second = browser.new_context()  # the mail is opened elsewhere
    page = second.new_page()
    page.goto(link)
    expect(page).to_have_url(host_url)  # the page they chatted from, the token gone from the URL
    frame = frame_of(page)
    expect(frame.get_by_test_id("chat-message").filter(has_text="Yes, in 3 days.")).to_be_visible()
    expect(
        frame.get_by_test_id("chat-message").filter(has_text="Do you ship to Lisbon?")
    ).to_be_visible()
    send(frame, "Great, thanks!")
    agent.wait_for("message:new", lambda m: m["body"] == "Great, thanks!")
    agent.close()
    second.close()


def test_email_me_this_conversation_once_it_is_closed(server, smtp, page, host_url):
    agent = server.agent("bob")
    wait_online(server, True)
    page.goto(host_url)
    frame = open_chat(page)
    send(frame, "Can I get a copy?")
    conversation_id = agent.wait_for("message:new", lambda m: m["body"] == "Can I get a copy?")[
        "conversation_id"
    ]
    agent.ok("conversation:close", {"conversation_id": conversation_id})
    button = frame.get_by_test_id("transcript-email")
    expect(button).to_have_text("Email me this conversation")
    button.click()
    address = f"copy-{uuid.uuid4().hex[:6]}@example.com"
    frame.locator("#transcript-address").fill(address)
    button.click()
    expect(frame.get_by_text(f"We've sent this conversation to {address}.")).to_be_visible()
    [mail] = mails_to(smtp, address)
    assert "Can I get a copy?" in text_part(mail)
    agent.close()
