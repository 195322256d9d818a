"""Both namespaces in-process, through Flask-SocketIO's test client (threading mode): quick
checks of acks, errors and the events a message sends, beside the real-server tests (which
prove the concurrency the test client cannot, since it runs handlers synchronously)."""

from __future__ import annotations

import pytest

from support.extensions import socketio
from support.rooms import AGENT_NS, VISITOR_NS
from support.services import agents, settings, visitors


@pytest.fixture
def visitor(app):
    """A visitor's widget socket, connected with its signed token."""
    with app.app_context():
        created = visitors.create_visitor(
            {"name": "Vera"}, identity_secret=None, user_agent=None, ip_address=None
        )
        token = visitors.issue_token(created, app.secret_key)
    client = socketio.test_client(app, namespace=VISITOR_NS, auth={"token": token})
    assert client.is_connected(VISITOR_NS)
    yield client
    if client.is_connected(VISITOR_NS):
        client.disconnect(namespace=VISITOR_NS)


@pytest.fixture
def agent(app):
    """An agent's socket (a bot's, with an API token)."""
    with app.app_context():
        alice = agents.create_agent("alice@example.com", "Alice", "password-1")
        token = agents.issue_api_token(alice, "bot")
    client = socketio.test_client(app, namespace=AGENT_NS, auth={"token": token})
    assert client.is_connected(AGENT_NS)
    yield client
    if client.is_connected(AGENT_NS):
        client.disconnect(namespace=AGENT_NS)


def received(client, namespace: str) -> dict[str, list]:
    """The events the client got since the last look, by name."""
    by_name: dict[str, list] = {}
    for packet in client.get_received(namespace):
        by_name.setdefault(packet["name"], []).append(packet["args"][0])
    return by_name


def send(client, namespace: str, event: str, data) -> dict:
    return client.emit(event, data, namespace=namespace, callback=True)


def test_a_visitors_message_is_acked_and_reaches_the_agent(visitor, agent):
    received(agent, AGENT_NS)
    ack = send(visitor, VISITOR_NS, "message:send", {"client_id": "c1", "body": "hello"})
    assert ack["ok"] is True
    assert (ack["message"]["seq"], ack["message"]["body"]) == (1, "hello")
    conversation_id = ack["conversation"]["id"]
    heard = received(agent, AGENT_NS)
    assert [c["id"] for c in heard["conversation:new"]] == [conversation_id]
    assert [(m["id"], m["body"]) for m in heard["message:new"]] == [(ack["message"]["id"], "hello")]


def test_an_agents_reply_reaches_the_visitor_and_a_note_does_not(visitor, agent):
    ack = send(visitor, VISITOR_NS, "message:send", {"client_id": "c1", "body": "hello"})
    conversation_id = ack["conversation"]["id"]
    assert send(agent, AGENT_NS, "conversation:claim", {"conversation_id": conversation_id})["ok"]
    received(visitor, VISITOR_NS)
    note = {"conversation_id": conversation_id, "client_id": "n1", "body": "psst", "private": True}
    assert send(agent, AGENT_NS, "message:send", note)["ok"] is True
    reply = {"conversation_id": conversation_id, "client_id": "r1", "body": "hi, Vera"}
    assert send(agent, AGENT_NS, "message:send", reply)["ok"] is True
    heard = received(visitor, VISITOR_NS)
    assert [m["body"] for m in heard["message:new"]] == ["hi, Vera"]


def test_the_visitors_typing_reaches_the_agent(visitor, agent):
    ack = send(visitor, VISITOR_NS, "message:send", {"client_id": "c1", "body": "hello"})
    received(agent, AGENT_NS)
    assert send(visitor, VISITOR_NS, "typing", {"typing": True}) == {"ok": True}
    heard = received(agent, AGENT_NS)
    assert heard["typing"] == [
        {"conversation_id": ack["conversation"]["id"], "from": "visitor", "typing": True}
    ]


@pytest.mark.parametrize(
    "payload",
    [
        {"client_id": 5, "body": "hello"},
        {"client_id": "c1"},
        {"client_id": "c1", "body": "   "},
        "hello",
        ["c1", "hello"],
    ],
)
def test_a_malformed_message_is_answered_with_an_error_ack(visitor, agent, payload):
    received(agent, AGENT_NS)
    ack = send(visitor, VISITOR_NS, "message:send", payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "invalid_payload"
    assert ack["error"]["message"]
    assert received(agent, AGENT_NS) == {}  # nothing was stored, nothing announced
    # The connection stays usable.
    ack = send(visitor, VISITOR_NS, "message:send", {"client_id": "c1", "body": "hello"})
    assert ack["ok"] is True and ack["message"]["seq"] == 1


def test_an_unknown_event_is_answered_with_an_error_ack(visitor, agent):
    ack = send(visitor, VISITOR_NS, "message:delete", {"id": "x"})
    assert ack["ok"] is False and ack["error"]["code"] == "unknown_event"
    ack = send(agent, AGENT_NS, "conversation:claim", {"conversation_id": "no-such-one"})
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"


def test_a_socket_without_credentials_is_refused(app):
    client = socketio.test_client(app, namespace=VISITOR_NS, auth={"token": "forged"})
    assert not client.is_connected(VISITOR_NS)
    client = socketio.test_client(app, namespace=AGENT_NS, auth={})
    assert not client.is_connected(AGENT_NS)


@pytest.mark.parametrize("hours_enabled", [False, True])
def test_availability_follows_presence_within_business_hours(app, visitor, hours_enabled):
    """One rule (``settings.chat_online``) for the config and the ``availability`` event: an
    agent coming online opens the chat unless business hours (here: closed all week) say no."""
    with app.app_context():
        hours = {"enabled": hours_enabled, "timezone": "UTC", "days": {}}
        settings.update_widget_settings({"hours": hours})
        alice = agents.create_agent("alice@example.com", "Alice", "password-1")
        token = agents.issue_api_token(alice, "bot")
    received(visitor, VISITOR_NS)
    agent = socketio.test_client(app, namespace=AGENT_NS, auth={"token": token})
    heard = received(visitor, VISITOR_NS)
    assert heard["availability"] == [{"online": not hours_enabled}]
    assert app.test_client().get("/api/widget/config").json["chat"]["online"] is not hours_enabled
    agent.disconnect(namespace=AGENT_NS)
