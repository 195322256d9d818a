"""HTTP contract (PROTOCOL §3) through Flask's test client on a real database."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io

import pytest

from support.services import agents, conversations, visitors
from support.services.presence import presence


@pytest.fixture
def people(ctx):
    admin = agents.create_agent("root@example.com", "Root", "password-1", is_admin=True)
    agent = agents.create_agent("agent@example.com", "Agnes", "password-2")
    return {
        "admin": agents.issue_api_token(admin),
        "agent": agents.issue_api_token(agent),
        "agent_obj": agent,
    }


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def make_conversation(name: str, *bodies: str, email: str | None = None):
    visitor = visitors.create_visitor(
        {"name": name, "email": email},
        identity_secret=None,
        user_agent="pytest",
        ip_address="10.0.0.1",
    )
    conversation = None
    for i, body in enumerate(bodies):
        _, conversation = conversations.post_visitor_message(visitor, f"{name}-{i}", body)
    return conversation


def test_healthz(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json == {"status": "ok"}


def test_widget_config_defaults_reproduce_the_seed_panel(client):
    config = client.get("/api/widget/config").json
    assert config["brand"]["name"] == "Tech Souls"
    assert config["brand"]["tagline"] == "Tech Souls, Connected."
    assert config["contact"]["phone"] == "+1 202 555 0180"
    assert config["contact"]["intro"].startswith("Have a question, comment, or concern?")
    assert {s["network"] for s in config["contact"]["socials"]} >= {"facebook", "x", "linkedin"}
    assert all(set(s) >= {"network", "url", "label"} for s in config["contact"]["socials"])
    assert config["chat"]["online"] is False
    assert set(config["chat"]) >= {"online", "greeting", "offline_message"}


def test_widget_config_reports_online_agents(client, ctx, people):
    presence.connect(people["agent_obj"].id, "Agnes", "sid-1")
    assert client.get("/api/widget/config").json["chat"]["online"] is True
    presence.disconnect(people["agent_obj"].id, "sid-1")
    assert client.get("/api/widget/config").json["chat"]["online"] is False


def test_new_visitor_gets_a_token(client):
    answer = client.post(
        "/api/widget/visitors", json={"name": "Vic", "page_url": "https://x.test/a"}
    )
    assert answer.status_code == 201
    assert set(answer.json) >= {"visitor_id", "token"}


def test_visitor_with_valid_identity_hash_is_verified(client, ctx):
    digest = hmac.new(b"identity-secret", b"vip@example.com", hashlib.sha256).hexdigest()
    good = client.post("/api/widget/visitors", json={"email": "vip@example.com", "hash": digest})
    bad = client.post("/api/widget/visitors", json={"email": "vip@example.com", "hash": "0" * 64})
    assert visitors.visitor_by_id(good.json["visitor_id"]).verified is True
    assert visitors.visitor_by_id(bad.json["visitor_id"]).verified is False


@pytest.mark.parametrize(
    "body", [[1, 2], "text", {"name": 5}, {"email": "nope"}, {"name": "x" * 101}]
)
def test_bad_visitor_body_is_refused(client, body):
    answer = client.post("/api/widget/visitors", json=body)
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "invalid_payload"


def test_widget_api_answers_cors_for_allowed_origins(client):
    answer = client.get("/api/widget/config", headers={"Origin": "https://shop.example"})
    assert answer.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    preflight = client.options("/api/widget/visitors", headers={"Origin": "https://shop.example"})
    assert preflight.status_code == 204


def test_cors_is_limited_to_configured_origins(app, client):
    app.config["ALLOWED_ORIGINS"] = "https://shop.example"
    refused = client.post(
        "/api/widget/visitors", json={}, headers={"Origin": "https://evil.example"}
    )
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    accepted = client.post(
        "/api/widget/visitors", json={}, headers={"Origin": "https://shop.example"}
    )
    assert accepted.status_code == 201
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/api/widget/config", headers={"Origin": "https://evil.example"}).headers
    )
    assert (
        client.get("/api/widget/config", headers={"Origin": "https://shop.example"}).headers[
            "Access-Control-Allow-Origin"
        ]
        == "https://shop.example"
    )


def test_auth_token(client, people):
    answer = client.post(
        "/api/v1/auth/token", json={"email": "AGENT@example.com", "password": "password-2"}
    )
    assert answer.status_code == 200
    assert answer.json["agent"] == {
        "id": people["agent_obj"].id,
        "name": "Agnes",
        "email": "agent@example.com",
        "admin": False,
        "active": True,
    }
    assert (
        client.get("/api/v1/conversations", headers=bearer(answer.json["token"])).status_code == 200
    )
    wrong = client.post(
        "/api/v1/auth/token", json={"email": "agent@example.com", "password": "nope"}
    )
    assert wrong.status_code == 401 and wrong.json["error"]["code"] == "unauthorized"
    assert client.post("/api/v1/auth/token", json=["x"]).status_code == 401


def test_auth_token_is_throttled(app, client, people):
    from support.ratelimit import limiter

    app.config["LIMIT_LOGIN"] = "3/minute"
    limiter.init_app(app)
    codes = [
        client.post(
            "/api/v1/auth/token", json={"email": "agent@example.com", "password": "x"}
        ).status_code
        for _ in range(5)
    ]
    assert codes == [401, 401, 401, 429, 429]


def test_deactivated_agents_lose_their_tokens(client, ctx, people):
    agents.set_active(people["agent_obj"], False, actor=None)
    assert client.get("/api/v1/conversations", headers=bearer(people["agent"])).status_code == 401


def test_api_requires_a_token(client):
    for path in [
        "/api/v1/conversations",
        "/api/v1/conversations/x",
        "/api/v1/conversations/x/transcript",
    ]:
        answer = client.get(path)
        assert answer.status_code == 401 and answer.json["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/conversations", headers=bearer("sup_wrong")).status_code == 401


def test_search_filters(client, ctx, people):
    refund = make_conversation("Rita Refund", "I want a REFUND for order 42", "please hurry")
    make_conversation("Sam Shipping", "where is my parcel?", email="sam@parcel.example")
    closed = make_conversation("Carl Closed", "refund again")
    agent = people["agent_obj"]
    conversations.claim(agent, closed.id)
    conversations.close(agent, closed.id)

    def ids(**query):
        answer = client.get(
            "/api/v1/conversations", query_string=query, headers=bearer(people["agent"])
        )
        assert answer.status_code == 200, answer.json
        return {item["id"] for item in answer.json["items"]}, answer.json["total"]

    assert ids(q="refund") == ({refund.id, closed.id}, 2)
    assert ids(q="refund order") == ({refund.id}, 1)
    assert ids(q="parcel.example") == (ids(q="Sam")[0], 1)
    assert ids(q="100%")[1] == 0 and ids(q="_")[1] == 0  # matched literally
    assert ids(status="closed") == ({closed.id}, 1)
    assert ids(assignee="me")[0] == {closed.id}
    assert ids(assignee="none", q="refund")[0] == {refund.id}
    assert ids(assignee=agent.id)[0] == {closed.id}
    today = refund.created_at.date().isoformat()
    assert ids(since=today, until=today)[1] == 3
    assert ids(until="2000-01-01")[1] == 0
    page = client.get(
        "/api/v1/conversations",
        query_string={"per_page": 2, "page": 2},
        headers=bearer(people["agent"]),
    ).json
    assert page["page"] == 2 and page["total"] == 3 and len(page["items"]) == 1


def test_note_text_is_searchable(client, ctx, people):
    conversation = make_conversation("Nora", "hello")
    conversations.post_agent_message(
        people["agent_obj"], conversation.id, "n1", "escalate to billing", private=True
    )
    answer = client.get("/api/v1/conversations?q=billing", headers=bearer(people["agent"]))
    assert [item["id"] for item in answer.json["items"]] == [conversation.id]


@pytest.mark.parametrize(
    "query",
    ["since=yesterday", "until=2024-13-01", "page=0", "per_page=0", "per_page=x", "status=maybe"],
)
def test_bad_search_parameters_are_refused(client, people, query):
    answer = client.get(f"/api/v1/conversations?{query}", headers=bearer(people["agent"]))
    assert answer.status_code == 400 and answer.json["error"]["code"] == "invalid_payload"


def test_conversation_detail_includes_notes(client, ctx, people):
    conversation = make_conversation("Dee", "hi")
    conversations.post_agent_message(
        people["agent_obj"], conversation.id, "n", "note", private=True
    )
    answer = client.get(f"/api/v1/conversations/{conversation.id}", headers=bearer(people["agent"]))
    assert [m["private"] for m in answer.json["messages"]] == [False, True]
    assert answer.json["conversation"]["id"] == conversation.id
    missing = client.get("/api/v1/conversations/nope", headers=bearer(people["agent"]))
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


def test_transcripts_in_three_formats(client, ctx, people):
    conversation = make_conversation(
        "Tess", "=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx", 'plain, "quoted"'
    )
    headers = bearer(people["agent"])
    url = f"/api/v1/conversations/{conversation.id}/transcript"

    text = client.get(url + "?format=txt", headers=headers)
    assert text.headers["Content-Disposition"].startswith("attachment")
    assert "Tess" in text.get_data(as_text=True)

    as_csv = client.get(url + "?format=csv", headers=headers)
    assert as_csv.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    assert rows[0] == ["seq", "created_at", "sender_type", "sender_name", "private", "body"]
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    assert rows[-1][5] == 'plain, "quoted"'

    as_json = client.get(url + "?format=json", headers=headers)
    assert as_json.headers["Content-Disposition"].startswith("attachment")
    detail = client.get(f"/api/v1/conversations/{conversation.id}", headers=headers)
    assert as_json.json == detail.json

    assert client.get(url + "?format=pdf", headers=headers).status_code == 400


def test_delete_is_for_admins_and_clears_personal_data(client, ctx, people):
    conversation = make_conversation(
        "Paula Private", "my address is 1 Main St", email="paula@example.com"
    )
    visitor_id = conversation.visitor_id
    refused = client.delete(
        f"/api/v1/conversations/{conversation.id}", headers=bearer(people["agent"])
    )
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    done = client.delete(
        f"/api/v1/conversations/{conversation.id}", headers=bearer(people["admin"])
    )
    assert done.status_code == 204
    assert (
        client.get(
            f"/api/v1/conversations/{conversation.id}", headers=bearer(people["admin"])
        ).status_code
        == 404
    )
    from support.extensions import db

    db.session.expire_all()
    visitor = visitors.visitor_by_id(visitor_id)
    assert (visitor.name, visitor.email, visitor.user_agent, visitor.ip_address) == (
        None,
        None,
        None,
        None,
    )
    assert (
        client.get("/api/v1/conversations?q=Main", headers=bearer(people["admin"])).json["total"]
        == 0
    )


def test_openapi_document(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert "/conversations" in document["paths"] and "/auth/token" in document["paths"]


def test_visitor_time_zone_is_kept_for_the_agents_view(client, ctx):
    from support.serializers import visitor_detail_dict

    answer = client.post("/api/widget/visitors", json={"timezone": "Europe/Paris"})
    visitor = visitors.visitor_by_id(answer.json["visitor_id"])
    assert visitor_detail_dict(visitor)["timezone"] == "Europe/Paris"
    bad = client.post("/api/widget/visitors", json={"timezone": "Mars/Olympus_Mons"})
    assert bad.status_code == 400 and "timezone" in bad.json["error"]["message"]


def test_search_matches_short_words_quotes_and_mixed_case(client, ctx, people):
    quoted = make_conversation("Quinn", 'the "express" option, ok?')
    make_conversation("Other", "nothing to see")

    def ids(q):
        answer = client.get(
            "/api/v1/conversations", query_string={"q": q}, headers=bearer(people["agent"])
        )
        assert answer.status_code == 200, answer.json
        return {item["id"] for item in answer.json["items"]}

    assert ids("ok") == {quoted.id}  # shorter than a trigram: found by scanning
    assert ids('"express"') == {quoted.id}
    assert ids("EXPRESS Option") == {quoted.id}
    assert ids("xpres") == {quoted.id}  # a literal substring, not a whole word
    assert ids("express nothing") == set()


def test_search_finds_messages_after_edits_and_deletes(client, ctx, people):
    from support.extensions import db
    from support.models import Message

    conversation = make_conversation("Edna", "original words")
    message = db.session.scalar(
        db.select(Message).where(Message.conversation_id == conversation.id)
    )
    message.body = "replaced text"
    db.session.commit()

    def total(q):
        return client.get(
            "/api/v1/conversations", query_string={"q": q}, headers=bearer(people["agent"])
        ).json["total"]

    assert total("original") == 0 and total("replaced") == 1
    client.delete(f"/api/v1/conversations/{conversation.id}", headers=bearer(people["admin"]))
    assert total("replaced") == 0


def test_page_size_is_capped_at_100(client, ctx, people):
    for i in range(3):
        make_conversation(f"Cap {i}", "hello")
    answer = client.get("/api/v1/conversations?per_page=500", headers=bearer(people["agent"]))
    assert answer.status_code == 200 and answer.json["total"] == 3


def test_successful_sign_ins_are_never_throttled(app, client, people):
    from support.ratelimit import limiter

    app.config["LIMIT_LOGIN"] = "3/minute"
    limiter.init_app(app)
    credentials = {"email": "agent@example.com", "password": "password-2"}
    codes = [client.post("/api/v1/auth/token", json=credentials).status_code for _ in range(8)]
    assert codes == [200] * 8
    bad = {"email": "agent@example.com", "password": "nope"}
    assert [client.post("/api/v1/auth/token", json=bad).status_code for _ in range(4)] == [
        401,
        401,
        401,
        429,
    ]
    # Once failures spent the limit, even the right password waits.
    assert client.post("/api/v1/auth/token", json=credentials).status_code == 429
