"""The admin in a real browser on a real server: settings reach the widget on a host page, a
conversation is found by a word and exported; screenshots for the README."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import embed_page, save_screenshot
from tests.helpers import AGENTS, PASSWORD, ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def sign_in_as_admin(page, server) -> None:
    page.goto(server.url + "/login")
    page.fill("input[name=email]", AGENTS["admin"]["email"])
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url("**/dashboard/**")


def test_admin_settings_reach_the_widget_on_a_host_page(server, page, host_site):
    visitor = server.visitor(name="Open Widget")  # a widget that is already connected
    try:
        sign_in_as_admin(page, server)
        page.goto(server.url + "/admin/settings")
        page.fill("input[name=contact_phone]", "+1 415 555 0199")
        x_row = page.locator("[data-testid=social-row]").filter(
            has=page.locator("input[name=social_network][value=x]")
        )
        x_row.locator("input[name=social_url]").fill("https://x.com/techsouls_new")
        page.fill("input[name=brand_name]", "Tech Souls <b>")
        assert page.locator("#pv-phone").text_content() == "+1 415 555 0199"  # live preview
        assert page.locator("#pv-brand-name").text_content() == "Tech Souls <b>"
        page.click("[data-testid=settings-save]")
        page.wait_for_selector(".admin-flash")
        update = visitor.wait_for(
            "config:updated", lambda c: c["contact"]["phone"] == "+1 415 555 0199"
        )
        assert any(s["url"] == "https://x.com/techsouls_new" for s in update["contact"]["socials"])
    finally:
        visitor.close()

    host = page.context.new_page()
    host.goto(host_site.add("/admin-host.html", embed_page(server.url, "Shop")))
    host.click("[data-testid=support-launcher]")
    frame = host.frame_locator("iframe[data-testid=support-frame]")
    phone = frame.locator("[data-testid=contact-phone]")
    phone.wait_for()
    assert "+1 415 555 0199" in phone.text_content()
    assert phone.get_attribute("href") == "tel:+14155550199"
    hrefs = [a.get_attribute("href") for a in frame.locator("[data-testid=social-link]").all()]
    assert "https://x.com/techsouls_new" in hrefs


def test_invalid_settings_show_messages_in_the_browser(server, page):
    sign_in_as_admin(page, server)
    page.goto(server.url + "/admin/settings")
    page.locator("input[name=social_url]").first.fill("javascript:alert(1)")
    page.click("[data-testid=settings-save]")
    errors = page.locator("[data-testid=settings-errors]")
    errors.wait_for()
    assert "http:// or https://" in errors.text_content()
    assert page.locator("[aria-invalid=true]").count() >= 1


def test_admin_finds_a_conversation_by_a_word_and_exports_it(server, page, tmp_path):
    visitor = server.visitor(name="Wanda Word", email="wanda@example.com")
    try:
        visitor.ok("message:send", {"client_id": "w1", "body": "My xylophone arrived broken"})
    finally:
        visitor.close()
    sign_in_as_admin(page, server)
    page.goto(server.url + "/admin/transcripts")
    page.fill("[data-testid=transcript-search]", "XYLOPHONE")
    page.click("[data-testid=transcript-search-submit]")
    rows = page.locator("[data-testid=transcript-row]")
    assert rows.count() == 1
    rows.first.locator("a").click()
    page.wait_for_selector("[data-testid=transcript-message]")
    assert "My xylophone arrived broken" in page.locator(".messages").text_content()
    with page.expect_download() as info:
        page.click("[data-testid=download-csv]")
    saved = Path(tmp_path / "t.csv")
    info.value.save_as(saved)
    text = saved.read_text()
    assert text.startswith("seq,created_at,sender_type,sender_name,private,body")
    assert "My xylophone arrived broken" in text


def test_screenshots_of_transcripts_and_reports(server, page):
    seed = (
        "from support import create_app\nfrom support.cli import upgrade_schema\n"
        "from support.cli_seed import seed_demo\napp = create_app()\n"
        "with app.app_context():\n    upgrade_schema(app)\n    seed_demo(400, seed=5)\n"
    )
    subprocess.run([sys.executable, "-c", seed], env=server.env, check=True, cwd=ROOT)
    page.set_viewport_size({"width": 1360, "height": 900})
    sign_in_as_admin(page, server)
    page.goto(server.url + "/admin/transcripts?status=closed")
    assert page.locator("[data-testid=transcript-row]").count() == 25
    save_screenshot(page, "admin-transcripts.png")
    page.locator("[data-testid=transcript-row] a").first.click()
    page.wait_for_selector("[data-testid=transcript-message]")
    save_screenshot(page, "admin-transcript.png")
    page.goto(server.url + "/admin/reports")
    assert page.locator("svg.chart").count() == 3
    save_screenshot(page, "admin-reports.png", full_page=True)
