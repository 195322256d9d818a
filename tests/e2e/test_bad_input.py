"""Malformed events of every kind: each gets an error ack, stores nothing, and the connection
stays usable (PROTOCOL §4). Floods are answered ``rate_limited`` (guarantee 7)."""

from __future__ import annotations

import uuid

import pytest
import socketio

VISITOR_CASES = [
    ("message:send", None, "invalid_payload"),
    ("message:send", {}, "invalid_payload"),
    ("message:send", "just a string", "invalid_payload"),
    ("message:send", ["list"], "invalid_payload"),
    ("message:send", {"client_id": "ok-1"}, "invalid_payload"),
    ("message:send", {"body": "no client id"}, "invalid_payload"),
    ("message:send", {"client_id": 12, "body": "x"}, "invalid_payload"),
    ("message:send", {"client_id": "ok-2", "body": 12}, "invalid_payload"),
    ("message:send", {"client_id": "ok-3", "body": None}, "invalid_payload"),
    ("message:send", {"client_id": "ok-4", "body": {"nested": "object"}}, "invalid_payload"),
    ("message:send", {"client_id": {"nested": 1}, "body": "x"}, "invalid_payload"),
    ("message:send", {"client_id": "ok-5", "body": ""}, "invalid_payload"),
    ("message:send", {"client_id": "ok-6", "body": "   \n\t "}, "invalid_payload"),
    ("message:send", {"client_id": "ok-7", "body": "x" * 4001}, "invalid_payload"),
    ("message:send", {"client_id": "", "body": "x"}, "invalid_payload"),
    ("message:send", {"client_id": "a" * 65, "body": "x"}, "invalid_payload"),
    ("message:send", {"client_id": "has space", "body": "x"}, "invalid_payload"),
    ("message:send", {"client_id": "semi;colon", "body": "x"}, "invalid_payload"),
    ("message:send", {"client_id": "ünïcode", "body": "x"}, "invalid_payload"),
    ("message:send", {"client_id": "ok-8", "body": "lone \ud800 surrogate"}, "invalid_payload"),
    ("message:send", {"client_id": "ok-9", "body": "\x00\x00"}, "invalid_payload"),
    ("typing", {"typing": "yes"}, "invalid_payload"),
    ("typing", {}, "invalid_payload"),
    ("messages:read", {"seq": -1}, "invalid_payload"),
    ("messages:read", {"seq": "3"}, "invalid_payload"),
    ("messages:read", {"seq": 1.5}, "invalid_payload"),
    ("messages:read", {"seq": True}, "invalid_payload"),
    ("sync", {"after_seq": -5}, "invalid_payload"),
    ("sync", {}, "invalid_payload"),
    ("sync", {"after_seq": 10**20}, "invalid_payload"),
    ("conversation:rate", {"rating": 0}, "invalid_payload"),
    ("conversation:rate", {"rating": 6}, "invalid_payload"),
    ("conversation:rate", {"rating": "5"}, "invalid_payload"),
    ("conversation:rate", {"rating": 3, "comment": "x" * 1001}, "invalid_payload"),
    ("visitor:update", {"email": "not-an-email"}, "invalid_payload"),
    ("visitor:update", {"name": "x" * 101}, "invalid_payload"),
    ("visitor:update", {"name": ["list"]}, "invalid_payload"),
    ("no:such:event", {}, "unknown_event"),
    ("conversation:claim", {"conversation_id": "x"}, "unknown_event"),
    ("connect", {}, "unknown_event"),
]

AGENT_CASES = [
    ("inbox:list", {"view": "everything"}, "invalid_payload"),
    ("inbox:list", {}, "invalid_payload"),
    ("conversation:open", {"conversation_id": "does-not-exist"}, "not_found"),
    ("conversation:open", {"conversation_id": 5}, "invalid_payload"),
    ("conversation:claim", {"conversation_id": "does-not-exist"}, "not_found"),
    ("conversation:transfer", {"conversation_id": "does-not-exist", "agent_id": "x"}, "not_found"),
    ("conversation:close", {}, "invalid_payload"),
    (
        "message:send",
        {"conversation_id": "does-not-exist", "client_id": "a", "body": "x"},
        "not_found",
    ),
    (
        "message:send",
        {"conversation_id": "x", "client_id": "a", "body": "x", "private": "yes"},
        "invalid_payload",
    ),
    ("typing", {"conversation_id": "does-not-exist", "typing": True}, "not_found"),
    ("sync", {"conversation_id": "does-not-exist", "after_seq": 0}, "not_found"),
    ("presence:set", {"status": "asleep"}, "invalid_payload"),
    ("message:new", {}, "unknown_event"),
]


@pytest.fixture(scope="module")
def visitor(server):
    client = server.visitor(name="Careful")
    client.ok("message:send", {"client_id": "opening", "body": "first"})
    yield client
    client.close()


@pytest.fixture(scope="module")
def agent(server):
    client = server.agent("alice")
    yield client
    client.close()


@pytest.mark.parametrize(("event", "payload", "code"), VISITOR_CASES)
def test_bad_visitor_event_is_refused_and_stores_nothing(visitor, event, payload, code):
    before = visitor.ok("sync", {"after_seq": 0})["messages"]
    ack = visitor.call(event, payload)
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]
    assert visitor.ok("sync", {"after_seq": 0})["messages"] == before
    assert visitor.ok("conversation:get", {})["conversation"] is not None  # still usable


@pytest.mark.parametrize(("event", "payload", "code"), AGENT_CASES)
def test_bad_agent_event_is_refused(agent, event, payload, code):
    ack = agent.call(event, payload)
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    assert agent.ok("inbox:list", {"view": "open"})["conversations"] is not None


def test_nul_characters_are_dropped_and_bodies_kept_as_sent(visitor):
    sent = visitor.ok("message:send", {"client_id": "nul-1", "body": "a\x00b  <b>bold</b> "})
    assert sent["message"]["body"] == "ab  <b>bold</b> "


def test_event_without_payload_works_where_none_is_needed(visitor):
    ack = visitor.call("conversation:get")
    assert ack["ok"] is True


def test_oversized_frame_closes_only_that_connection(server, visitor):
    big = server.visitor()
    with pytest.raises((socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError)):
        big.call("message:send", {"client_id": "big", "body": "x" * 70_000}, timeout=5)
    assert visitor.ok("conversation:get", {})["ok"]  # others are unaffected
    big.close()


def test_flooding_visitor_is_rate_limited(server_factory):
    server = server_factory(SUPPORT_LIMIT_VISITOR_MESSAGES="5/minute")
    flooder, calm = server.visitor(), server.visitor()
    acks = [flooder.call("message:send", {"client_id": f"f{i}", "body": "spam"}) for i in range(12)]
    assert [a["ok"] for a in acks] == [True] * 5 + [False] * 7
    assert {a["error"]["code"] for a in acks[5:]} == {"rate_limited"}
    assert len(flooder.ok("sync", {"after_seq": 0})["messages"]) == 5
    # Invalid payloads and resends of stored client_ids never count.
    assert flooder.call("message:send", {"client_id": "f0", "body": "spam"})["ok"] is True
    assert (
        flooder.call("message:send", {"client_id": "", "body": "x"})["error"]["code"]
        == "invalid_payload"
    )
    # One visitor's flood does not slow another.
    assert calm.ok("message:send", {"client_id": "c1", "body": "hello"})["message"]["seq"] == 1
    flooder.close()
    calm.close()


def test_new_visitor_tokens_are_limited_per_address(server_factory):
    import requests

    server = server_factory(SUPPORT_LIMIT_NEW_VISITORS="3/minute")
    codes = [
        requests.post(server.url + "/api/widget/visitors", json={}, timeout=5).status_code
        for _ in range(5)
    ]
    assert codes == [201, 201, 201, 429, 429]
    answer = requests.post(server.url + "/api/widget/visitors", json={}, timeout=5)
    assert answer.json()["error"]["code"] == "rate_limited"


def test_unique_ids_do_not_collide(visitor):
    ids = {
        visitor.ok("message:send", {"client_id": uuid.uuid4().hex, "body": "x"})["message"]["id"]
        for _ in range(3)
    }
    assert len(ids) == 3


@pytest.mark.parametrize(
    "frame",
    [
        '["message:send",' + "[" * 3000 + "]" * 3000 + "]",
        '["message:send",{"client_id":"a","body":' + '{"x":' * 2000 + "1" + "}" * 2000 + "}]",
        '["message:send",{"client_id":',
    ],
)
def test_undecodable_payloads_are_answered(server, frame):
    """Raw frames a JSON library cannot decode still get an ``invalid_payload`` ack, and the
    connection stays usable."""
    import json

    import websocket

    token = server.new_visitor()["token"]
    ws = websocket.create_connection(
        server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    )
    try:
        ws.recv()  # engine.io open
        ws.send("40/visitor," + json.dumps({"token": token}))
        assert ws.recv().startswith("40/visitor")
        ws.send("42/visitor,7" + frame)
        answer = ws.recv()
        assert answer.startswith("43/visitor,7")
        ack = json.loads(answer[len("43/visitor,7") :])[0]
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload"
        ws.send('42/visitor,8["conversation:get",{}]')
        assert json.loads(ws.recv()[len("43/visitor,8") :])[0]["ok"] is True
    finally:
        ws.close()


@pytest.mark.parametrize("event", ["conversation:open", "conversation:claim", "sync"])
def test_ids_with_nul_bytes_are_not_found(agent, event):
    ack = agent.call(event, {"conversation_id": "a\x00b", "after_seq": 0})
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"
