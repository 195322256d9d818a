"""The widget shows the visitor's place in line under automatic routing, live."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import embed_page
from tests.e2e.test_widget import open_chat, send, wait_online

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_widget_shows_its_place_in_line_until_assigned(server_factory, host_site, page):
    server = server_factory()
    server.api("PATCH", "/api/v1/settings/routing", "admin", json={"mode": "auto", "capacity": 1})
    bob = server.agent("bob")
    first = server.visitor(name="First")
    try:
        wait_online(server, True)
        held = first.ok("message:send", {"client_id": "f1", "body": "first"})["conversation"]
        assert held["assignee"]["name"] == "Bob Agent"

        page.goto(host_site.add(f"/q-{uuid.uuid4().hex[:8]}", embed_page(server.url, "Queue")))
        frame = open_chat(page)
        send(frame, "anyone there?")
        line = frame.get_by_test_id("queue-position")
        expect(line).to_be_visible()
        expect(line).to_contain_text("number 1 in line")

        bob.ok("conversation:close", {"conversation_id": held["id"]})
        expect(line).to_be_hidden()
    finally:
        bob.close()
        first.close()
