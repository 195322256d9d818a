"""Guarantee 7 from outside: one visitor flooding every event it may send (a real server and
python-socketio clients) gets ``rate_limited`` or is coalesced; it cannot make the server do
unbounded work or send unbounded broadcasts."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e

BUDGET = 20


@pytest.fixture(scope="module")
def flooded(server_factory):
    return server_factory(SUPPORT_LIMIT_VISITOR_EVENTS=f"{BUDGET}/minute")


def _code(ack) -> str | None:
    return None if ack.get("ok") else ack["error"]["code"]


def test_typing_is_coalesced(flooded):
    visitor, agent = flooded.visitor(), flooded.agent("alice")
    visitor.ok("message:send", {"client_id": "hello", "body": "hello"})
    started = time.monotonic()
    for number in range(300):
        visitor.ok("typing", {"typing": number % 3 != 0})
    elapsed = time.monotonic() - started
    visitor.ok("typing", {"typing": False})
    time.sleep(0.5)
    broadcasts = agent.received("typing")
    assert 1 <= len(broadcasts) <= 5 * (elapsed + 1) + 1, (len(broadcasts), elapsed)
    # A start quickly followed by a stop (no flood) is announced in full.
    quiet = flooded.visitor()
    quiet.ok("message:send", {"client_id": "hello", "body": "hello"})
    time.sleep(1.1)
    before = len(agent.received("typing"))
    quiet.ok("typing", {"typing": True})
    quiet.ok("typing", {"typing": False})
    agent.wait_for("typing", lambda t: t["typing"] is False, since=before)
    assert [t["typing"] for t in agent.received("typing")[before:]] == [True, False]
    quiet.close()
    agent.close()
    visitor.close()


@pytest.mark.parametrize(
    ("event", "payload", "invalid"),
    [
        ("visitor:update", {"name": "Flo"}, {"email": 5}),
        ("conversation:get", {}, "not an object"),
        ("sync", {"after_seq": 0}, {"after_seq": -1}),
        ("messages:read", {"seq": 1}, {"seq": "many"}),
        ("conversation:rate", {"rating": 5}, {"rating": 9}),
    ],
)
def test_every_visitor_event_has_a_budget(flooded, event, payload, invalid):
    visitor = flooded.visitor()
    visitor.ok("message:send", {"client_id": "m1", "body": "hi"})
    if event == "conversation:rate":
        agent = flooded.agent("bob")
        conversation = visitor.ok("conversation:get")["conversation"]["id"]
        agent.ok("conversation:claim", {"conversation_id": conversation})
        agent.ok("conversation:close", {"conversation_id": conversation})
        agent.close()
    for _ in range(BUDGET + 5):  # invalid payloads are answered as such and never count
        assert _code(visitor.call(event, invalid)) == "invalid_payload"
    codes = [_code(visitor.call(event, payload)) for _ in range(BUDGET + 5)]
    assert codes[:BUDGET] == [None] * BUDGET
    assert set(codes[BUDGET:]) == {"rate_limited"}
    # Messages have their own limit: the flood of other events does not silence the visitor.
    if event != "conversation:rate":
        visitor.ok("message:send", {"client_id": "m2", "body": "still here"})
    visitor.close()
