"""Hostile HTTP input: every answer is a clear 4xx in the contract's shape, never a 500."""

from __future__ import annotations

import pytest

from support.services import agents


@pytest.fixture
def token(ctx):
    admin = agents.create_agent("root@example.com", "Root", "password-1", is_admin=True)
    return {"Authorization": f"Bearer {agents.issue_api_token(admin)}"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/conversations/a%00b",
        "/api/v1/conversations/a%00b/transcript",
        "/api/v1/conversations/" + "x" * 5000,
        "/api/v1/agents/a%00b",
        "/api/v1/visitors/a%00b/export",
    ],
)
def test_impossible_ids_are_not_found(client, token, path):
    answer = client.get(path, headers=token)
    assert answer.status_code == 404 and answer.json["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "query",
    [
        "q=a%00",
        "assignee=a%00",
        "q=%ED%A0%80",
        "page=99999999999999999999999",
        "page=9223372036854775807",
        "until=9999-12-31",
        "rating=99999999999999999999",
        "sort=%00",
    ],
)
def test_odd_query_values_never_crash(client, token, query):
    answer = client.get(f"/api/v1/conversations?{query}", headers=token)
    assert answer.status_code in (200, 400), answer.get_data(as_text=True)
    if answer.status_code == 400:
        assert answer.json["error"]["code"] == "invalid_payload"


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 5000 + b"]" * 5000,
        b'{"a":' * 3000 + b"1" + b"}" * 3000,
        b"{broken",
        b'{"name": "\\ud800"}',
    ],
)
def test_hostile_json_bodies_are_refused(client, body):
    answer = client.post("/api/widget/visitors", data=body, content_type="application/json")
    assert answer.status_code == 400 and answer.json["error"]["code"] == "invalid_payload"


@pytest.mark.parametrize(
    "body",
    [
        b"{}",
        b"[]",
        b"null",
        b'{"email": 1, "password": 2}',
        b"{broken",
        b'{"email": "\\ud800", "password": "x"}',
        b'{"email": "a\\u0000@x.io", "password": "x"}',
        b'{"email":' * 3000,
    ],
)
def test_token_endpoint_answers_401_to_anything_but_credentials(client, ctx, body):
    answer = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert answer.status_code == 401 and answer.json["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/nope", 404),
        ("POST", "/api/v1/conversations", 405),
        ("GET", "/api/widget/visitors", 405),
        ("POST", "/api/widget/config", 405),
    ],
)
def test_api_routing_errors_are_json(client, method, path, status):
    answer = client.open(path, method=method)
    assert answer.status_code == status
    assert answer.json["error"]["code"] in ("not_found", "invalid_payload")


def test_pages_keep_html_errors(client):
    answer = client.get("/no-such-page")
    assert answer.status_code == 404 and answer.mimetype == "text/html"


def test_transcript_content_type_names_its_charset_once(client, ctx, token):
    from support.services import conversations, visitors

    visitor = visitors.create_visitor({}, identity_secret=None, user_agent=None, ip_address=None)
    _, conversation = conversations.post_visitor_message(visitor, "c", "hi")
    answer = client.get(f"/api/v1/conversations/{conversation.id}/transcript", headers=token)
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
