"""The widget follows the admin's settings: colours, position, hours, pre-chat fields, and
changes saved while it is open."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from support import create_app
from support.extensions import db
from support.services import settings
from tests.e2e.conftest import embed_page
from tests.e2e.test_widget import FRAME, frame_of, open_chat, send, sent, wait_online

SETTINGS = {
    "brand": {"name": "Sunny Shop", "tagline": "Bright answers.", "color": "#ffd400"},
    "layout": {"position": "left"},
    "hours": {
        "enabled": True,
        "timezone": "Europe/Paris",
        "days": {"mon": {"open": "09:00", "close": "17:30"}},
    },
    "contact": {
        "phone": "+33 1 23 45 67 89",
        "email": "help@sunny.example",
        "intro": "Ask us anything.",
        "socials": [
            {"network": "youtube", "url": "https://youtube.com/@sunny", "label": "YouTube"},
            {"network": "whatsapp", "url": "https://wa.me/33123456789", "label": "WhatsApp"},
        ],
    },
    "chat": {"prechat_fields": [{"name": "name", "required": True}, {"name": "email"}]},
}


def save_settings(server, values: dict) -> None:
    """Store settings in the server's database through the settings service (what the admin
    pages do); the server reads them on the next config request."""
    app = create_app(
        {
            "DATABASE_URL": server.env["SUPPORT_DATABASE_URL"],
            "SECRET_KEY": "unused",
            "ASYNC_MODE": "threading",
        }
    )
    with app.app_context():
        settings.update_widget_settings(values)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def shop(server_factory):
    """A server of its own: these tests change the widget settings."""
    server = server_factory()
    save_settings(server, SETTINGS)
    return server


def test_panel_uses_brand_colour_position_hours_and_socials(shop, page, host_site):
    page.goto(host_site.add(f"/shop-{uuid.uuid4().hex[:6]}", embed_page(shop.url)))
    launcher = page.get_by_test_id("support-launcher")
    expect(launcher).to_have_css("background-color", "rgb(255, 212, 0)")
    expect(launcher).to_have_css("color", "rgb(0, 0, 0)")  # dark text: yellow is light
    assert launcher.bounding_box()["x"] < 100
    launcher.click()
    assert page.locator(FRAME).bounding_box()["x"] < 100
    frame = frame_of(page)
    expect(frame.locator(".header")).to_have_css("color", "rgb(0, 0, 0)")
    expect(frame.get_by_role("heading", name="Sunny Shop")).to_be_visible()
    expect(frame.get_by_test_id("contact-phone")).to_have_attribute("href", "tel:+33123456789")
    expect(frame.locator("[data-network='youtube'] svg")).to_be_visible()
    expect(frame.locator("[data-network='whatsapp']")).to_have_attribute(
        "href", "https://wa.me/33123456789"
    )
    expect(frame.get_by_text("Monday")).to_be_visible()
    expect(frame.get_by_text("09:00–17:30")).to_be_visible()
    expect(frame.get_by_text("(Europe/Paris)")).to_be_visible()


def test_prechat_fields_and_live_settings(shop, page, host_site):
    # Outside business hours the chat is offline (PROTOCOL §3); this test needs it live.
    save_settings(shop, {"hours": {"enabled": False}})
    agent = shop.agent("alice")
    try:
        wait_online(shop, True)
        page.goto(host_site.add(f"/shop-{uuid.uuid4().hex[:6]}", embed_page(shop.url)))
        frame = open_chat(page)
        send(frame, "Hello shop")
        expect(frame.get_by_role("alert")).to_contain_text("Your name")
        expect(frame.get_by_test_id("chat-message")).to_have_count(0)
        frame.get_by_label("Your name").fill("Sam")
        frame.get_by_test_id("chat-send").click()
        sent(frame, "Hello shop")
        expect(frame.get_by_label("Your name")).to_be_hidden()
        message = agent.wait_for("message:new", lambda m: m["body"] == "Hello shop")
        detail = shop.api("GET", f"/api/v1/conversations/{message['conversation_id']}").json()
        assert detail["conversation"]["visitor"]["name"] == "Sam"

        # Saved by an admin while the widget is open (the server announces it with
        # config:updated): the panel and the launcher follow without a reload.
        patch = {"brand": {"name": "Renamed Shop", "color": "#0b3d91"}}
        answer = shop.api("PATCH", "/api/v1/settings/widget", who="admin", json=patch)
        assert answer.status_code == 200, answer.text
        expect(frame.get_by_role("heading", name="Renamed Shop")).to_be_visible()
        launcher = page.get_by_test_id("support-launcher")
        expect(launcher).to_have_css("background-color", "rgb(11, 61, 145)")
        expect(launcher).to_have_css("color", "rgb(255, 255, 255)")
    finally:
        agent.close()
