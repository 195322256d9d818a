"""Automatic routing through real servers: three agents with capacity 2 and seven visitors
arriving at once; six are assigned evenly, the seventh waits first in line and is assigned
when a place frees. Once on one process (SQLite), once on two processes sharing PostgreSQL
and Redis, where assignments race across processes."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest

from tests import helpers

pytestmark = pytest.mark.e2e

AGENT_NAMES = ("admin", "alice", "bob")


def _open_conversations(server) -> list[dict]:
    answer = server.api("GET", "/api/v1/conversations?status=open&per_page=100", "admin")
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def _arrive_at_once(servers, count: int) -> list:
    """``count`` visitors (spread over ``servers``) who each send a first message at the same
    moment; returns ``(client, conversation id)`` pairs."""
    clients = [servers[i % len(servers)].visitor(name=f"Visitor {i}") for i in range(count)]
    start = threading.Barrier(count)
    acks: list = [None] * count

    def send(i: int) -> None:
        start.wait()
        acks[i] = clients[i].ok("message:send", {"client_id": uuid.uuid4().hex, "body": "help"})

    threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return [(client, ack["conversation"]["id"]) for client, ack in zip(clients, acks, strict=True)]


def seven_visitors_three_agents(servers) -> None:
    first = servers[0]
    routed = first.api(
        "PATCH", "/api/v1/settings/routing", "admin", json={"mode": "auto", "capacity": 2}
    )
    assert routed.status_code == 200, routed.text
    assert routed.json()["mode"] == "auto" and routed.json()["capacity"] == 2
    agents = {who: servers[i % len(servers)].agent(who) for i, who in enumerate(AGENT_NAMES)}
    ids = {who: first.agent_id(who) for who in AGENT_NAMES}
    visitors = []
    try:
        helpers.wait_until(
            lambda: (
                sum(
                    p["status"] == "online"
                    for p in agents["admin"].ok("presence:list", {})["agents"]
                )
                == 3
            ),
            what="three agents online",
        )
        visitors = _arrive_at_once(servers, 7)

        def settled():
            items = _open_conversations(first)
            assigned = [c for c in items if c["assignee"]]
            return items if len(items) == 7 and len(assigned) == 6 else None

        items = helpers.wait_until(settled, timeout=20, what="six conversations assigned")
        per_agent = Counter(c["assignee"]["id"] for c in items if c["assignee"])
        assert sorted(per_agent.values()) == [2, 2, 2]
        assert set(per_agent) == set(ids.values())
        waiting_id = next(c["id"] for c in items if not c["assignee"])
        waiting = next(client for client, cid in visitors if cid == waiting_id)
        waiting.wait_for("queue", lambda q: q["position"] == 1)

        # Bob closes one of his: the waiting conversation goes to him, and its visitor hears 0.
        bobs = next(c["id"] for c in items if (c["assignee"] or {}).get("id") == ids["bob"])
        agents["bob"].ok("conversation:close", {"conversation_id": bobs})
        waiting.wait_for("queue", lambda q: q["position"] == 0, timeout=15)
        final = {c["id"]: c for c in _open_conversations(first)}
        assert final[waiting_id]["assignee"]["id"] == ids["bob"]
        counts = Counter(c["assignee"]["id"] for c in final.values())
        assert max(counts.values()) <= 2 and sum(counts.values()) == 6
        report = first.api("GET", "/api/v1/reports", "admin").json()
        assert report["overall"]["assigned"] == 7
        assert report["overall"]["queue_median"] is not None
    finally:
        for client, _ in visitors:
            client.close()
        for client in agents.values():
            client.close()


def test_seven_visitors_three_agents_one_process(server_factory):
    seven_visitors_three_agents([server_factory()])


@pytest.mark.postgres
def test_seven_visitors_three_agents_two_processes(tmp_path):
    pair = helpers.ServerPair(tmp_path)
    try:
        seven_visitors_three_agents([pair.a, pair.b])
    finally:
        pair.close()


def test_manual_routing_assigns_nothing_and_settings_are_checked(server_factory):
    server = server_factory()
    assert server.api("GET", "/api/v1/settings/routing", "admin").json() == {
        "mode": "manual",
        "capacity": 5,
        "claim_on_reply": True,
        "requeue_after_minutes": None,
    }
    for bad in ({"mode": "fast"}, {"capacity": 0}, {"capacity": "2"}, {"claim_on_reply": 1}):
        answer = server.api("PATCH", "/api/v1/settings/routing", "admin", json=bad)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_payload"
    assert server.api("GET", "/api/v1/settings/routing", "alice").status_code == 403
    agent = server.agent("alice")
    visitor = server.visitor(name="Manual")
    try:
        ack = visitor.ok("message:send", {"client_id": "m1", "body": "hello"})
        assert ack["conversation"]["assignee"] is None
        assert visitor.received("queue") == []
    finally:
        agent.close()
        visitor.close()
