"""Attachments in the real widget and dashboard (Chromium): a visitor attaches and pastes
images that the agent sees as thumbnails; an agent sends a PDF that the visitor downloads;
refused files say why."""

from __future__ import annotations

import base64
import uuid

import pytest
from playwright.sync_api import expect

from tests.attachment_files import HTML_PAGE, pdf_bytes, png_bytes
from tests.e2e.conftest import embed_page
from tests.e2e.test_dashboard import inbox_item, sign_in
from tests.e2e.test_widget import open_chat, send, sent, wait_online

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture
def pages(browser):
    contexts = []

    def new_page():
        context = browser.new_context(accept_downloads=True)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


@pytest.fixture
def online(server):
    """Bob connected, so the widget's chat is live (the tests' dashboards sign in as Alice)."""
    client = server.agent("bob")
    wait_online(server, True)
    yield client
    client.close()


@pytest.fixture
def widget(server, host_site, pages, online):
    page = pages()
    page.goto(host_site.add(f"/a-{uuid.uuid4().hex[:8]}", embed_page(server.url, "Article")))
    return page, open_chat(page)


PASTE = """(input, b64) => {
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], "image.png", {type: "image/png"}));
    input.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true}));
}"""


def paste_image(locator, png: bytes) -> None:
    """Paste a screenshot into a text box, as a browser does (a file on the clipboard)."""
    locator.evaluate(PASTE, base64.b64encode(png).decode())


def test_visitor_attaches_and_pastes_images_and_the_agent_sees_thumbnails(server, widget, pages):
    page, frame = widget
    send(frame, "Here is my screen")
    sent(frame, "Here is my screen")
    frame.get_by_test_id("attach-input").set_input_files(
        {"name": "screen.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    mine = frame.locator("[data-testid='chat-message'][data-sender='visitor'][data-seq] img")
    expect(mine).to_have_count(1)
    # A pasted screenshot goes the same way.
    paste_image(frame.get_by_test_id("chat-input"), png_bytes((30, 20), "purple"))
    expect(mine).to_have_count(2)

    dashboard = pages()
    sign_in(dashboard, server, "alice")
    conversation = server.api("GET", "/api/v1/conversations?q=Here+is+my+screen").json()
    inbox_item(dashboard, conversation["items"][0]["id"]).click()
    thumbs = dashboard.locator("[data-testid='message'][data-sender='visitor'] img")
    expect(thumbs).to_have_count(2)
    dashboard.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=message] img')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length === 2"
    )
    assert thumbs.first.evaluate("img => img.closest('a').href") == thumbs.first.evaluate(
        "img => img.src"
    )


def test_agent_sends_a_pdf_and_the_visitor_downloads_it(server, widget, pages):
    page, frame = widget
    send(frame, "Can I have the invoice?")
    sent(frame, "Can I have the invoice?")
    dashboard = pages()
    sign_in(dashboard, server, "alice")
    found = server.api("GET", "/api/v1/conversations?q=have+the+invoice").json()
    inbox_item(dashboard, found["items"][0]["id"]).click()
    # Files go to the conversation on screen: wait until it has loaded, as a person would.
    expect(dashboard.get_by_test_id("message").first).to_contain_text("Can I have the invoice?")
    dashboard.get_by_test_id("attach-input").set_input_files(
        {"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    expect(
        dashboard.locator("[data-testid='message'][data-seq] [data-testid='attachment-file']")
    ).to_contain_text("invoice.pdf")

    # A screenshot pasted into the reply box goes the same way.
    paste_image(dashboard.get_by_test_id("reply-input"), png_bytes())
    expect(frame.locator("[data-testid='chat-message'][data-sender='agent'] img")).to_have_count(1)

    link = frame.locator("[data-testid='chat-message'][data-sender='agent'] a[download]")
    expect(link).to_contain_text("invoice.pdf")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "invoice.pdf"
    with open(download.path(), "rb") as handle:
        assert handle.read() == pdf_bytes()


def test_refused_files_say_why(server, widget):
    page, frame = widget
    send(frame, "hello")
    sent(frame, "hello")
    frame.get_by_test_id("attach-input").set_input_files(
        {"name": "cat.png", "mimeType": "image/png", "buffer": HTML_PAGE}
    )
    expect(frame.locator("#form-error")).to_contain_text("not allowed")
    frame.get_by_test_id("attach-input").set_input_files(
        {"name": "huge.txt", "mimeType": "text/plain", "buffer": b"a" * (10485760 + 1)}
    )
    expect(frame.locator("#form-error")).to_contain_text("too big")
