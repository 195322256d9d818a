"""The routing and attachment admin pages, and the routing rules run directly as services."""

from __future__ import annotations

from support.extensions import db
from support.models import Agent
from support.services import conversations, routing, settings, visitors
from support.services.presence import presence
from tests.test_admin import admin_client, agent_client, team  # noqa: F401 (fixtures)


def test_admin_saves_routing_and_an_agents_capacity(app, admin_client, team):  # noqa: F811
    page = admin_client.get("/admin/routing")
    assert page.status_code == 200 and b"Automatic" in page.data
    answer = admin_client.post(
        "/admin/routing",
        data={"mode": "auto", "capacity": "3", "claim_on_reply": "on", "requeue_after_minutes": ""},
    )
    assert answer.status_code == 302
    bad = admin_client.post("/admin/routing", data={"mode": "auto", "capacity": "0"})
    assert bad.status_code == 400
    agent_id = team["alice"]
    saved = admin_client.post(f"/admin/agents/{agent_id}/capacity", data={"capacity": "7"})
    assert saved.status_code == 302
    with app.app_context():
        assert settings.routing_settings() == {
            "mode": "auto",
            "capacity": 3,
            "claim_on_reply": True,
            "requeue_after_minutes": None,
        }
        assert db.session.get(Agent, agent_id).capacity == 7
    assert b'value="7"' in admin_client.get(f"/admin/agents/{agent_id}").data


def test_admin_edits_the_attachment_types(app, admin_client):  # noqa: F811
    assert b"application/pdf" in admin_client.get("/admin/attachments").data
    admin_client.post("/admin/attachments", data={"allowed_types": ["image/png", "text/plain"]})
    with app.app_context():
        from support.services import attachments

        assert attachments.allowed_types() == ["image/png", "text/plain"]


def _conversation(name: str):
    visitor = visitors.create_visitor(
        {"name": name}, identity_secret=None, user_agent="t", ip_address=None
    )
    return conversations.post_visitor_message(visitor, f"{name}-1", "hello")[1]


def test_fewest_open_wins_and_capacity_is_never_passed(ctx, team):  # noqa: F811
    settings.update_routing({"mode": "auto", "capacity": 1})
    for who in ("admin", "alice"):
        presence.connect(team[who], who, f"sid-{who}")
    first, second, third = (_conversation(n) for n in ("Ann", "Ben", "Cy"))
    assert routing.route_waiting() == 2
    holders = {db.session.get(type(first), c.id).assignee_id for c in (first, second)}
    assert holders == {team["admin"], team["alice"]}
    assert routing.queue_position(db.session.get(type(third), third.id)) == 1
    assert routing.route_waiting() == 0  # everyone is full


def test_away_agents_conversations_return_to_the_queue(ctx, team):  # noqa: F811
    settings.update_routing({"mode": "auto", "capacity": 2, "requeue_after_minutes": 5})
    presence.connect(team["alice"], "alice", "sid-1")
    conversation = _conversation("Dee")
    routing.route_waiting()
    presence.set_status(team["alice"], "alice", "away")
    assert routing.requeue_away_agents(5, now=0) == 0  # away from now on
    assert routing.requeue_away_agents(5, now=299) == 0
    assert routing.requeue_away_agents(5, now=301) == 1
    assert db.session.get(type(conversation), conversation.id).assignee_id is None


def test_api_sets_an_agents_own_capacity(app, client, team):  # noqa: F811
    from support.services import agents

    with app.app_context():
        token = agents.issue_api_token(db.session.get(Agent, team["admin"]))
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/agents/{team['alice']}"
    answer = client.patch(path, json={"capacity": 3}, headers=headers)
    assert answer.status_code == 200 and answer.json["agent"]["capacity"] == 3
    assert client.patch(path, json={"capacity": 0, "name": "X"}, headers=headers).status_code == 400
    assert client.get(path, headers=headers).json["agent"]["name"] == "Alice Agent"
    routing_view = client.get(path + "/routing", headers=headers).json
    assert routing_view == {"capacity": 3, "effective_capacity": 3, "open": 0}
    cleared = client.patch(path + "/routing", json={"capacity": None}, headers=headers).json
    assert cleared["capacity"] is None and cleared["effective_capacity"] == 5
