"""Two real server processes on one PostgreSQL database and one Redis: every guarantee of
PROTOCOL §4 holds whichever process each client reached."""

from __future__ import annotations

import threading

import pytest
import requests

from tests import helpers

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

MESSAGE_LIMIT = 25


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    pair = helpers.ServerPair(
        tmp_path_factory.mktemp("pair"),
        {"SUPPORT_LIMIT_VISITOR_MESSAGES": f"{MESSAGE_LIMIT}/minute"},
    )
    yield pair
    pair.close()


@pytest.fixture
def clients():
    """Collects the clients a test opens, and closes them after it."""
    opened: list[helpers.SocketClient] = []

    def keep(client):
        opened.append(client)
        return client

    yield keep
    for client in opened:
        client.close()


def test_chat_both_ways_across_processes(pair, clients):
    visitor = clients(pair.a.visitor(name="Vera"))
    agent = clients(pair.b.agent("alice"))

    sent = visitor.ok("message:send", {"client_id": "v1", "body": "hello from A"})
    conversation_id = sent["conversation"]["id"]
    agent.wait_for("conversation:new", lambda c: c["id"] == conversation_id)
    agent.wait_for("message:new", lambda m: m["client_id"] == "v1" and m["body"] == "hello from A")
    agent.ok("conversation:claim", {"conversation_id": conversation_id})
    visitor.wait_for("conversation:updated", lambda c: (c.get("assignee") or {}).get("name"))

    visitor.ok("typing", {"typing": True})
    agent.wait_for("typing", lambda t: t["conversation_id"] == conversation_id and t["typing"])
    agent.ok("typing", {"conversation_id": conversation_id, "typing": True})
    visitor.wait_for("typing", lambda t: t["from"] == "agent" and t["typing"])

    reply = agent.ok(
        "message:send",
        {"conversation_id": conversation_id, "client_id": "a1", "body": "hello from B"},
    )["message"]
    visitor.wait_for("message:new", lambda m: m["id"] == reply["id"])
    visitor.ok("messages:read", {"seq": reply["seq"]})
    agent.wait_for("messages:read", lambda r: r["by"] == "visitor" and r["seq"] == reply["seq"])
    agent.ok("messages:read", {"conversation_id": conversation_id, "seq": 1})
    visitor.wait_for("messages:read", lambda r: r["by"] == "agent" and r["seq"] == 1)


def test_a_visitor_and_its_agents_on_different_processes_receive_every_message(pair, clients):
    """Emits for the other process leave in batches (``support.message_queue``): a burst of
    messages from a tab on A reaches the visitor's other tab on B and agents on both, each
    message once and in order, and a reply from B reaches both tabs."""
    here = clients(pair.a.visitor(name="Tabs"))
    there = clients(pair.b.visitor(token=here.token))
    agent_a, agent_b = clients(pair.a.agent("alice")), clients(pair.b.agent("bob"))
    first = here.ok("message:send", {"client_id": "t0", "body": "first"})
    conversation_id = first["conversation"]["id"]

    burst = [f"t{n}" for n in range(1, 9)]
    senders = [
        threading.Thread(target=here.ok, args=("message:send", {"client_id": c, "body": c}))
        for c in burst
    ]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    wanted = {"t0", *burst}
    for client in (there, agent_a, agent_b):
        helpers.wait_until(
            lambda client=client: (
                wanted <= {m["client_id"] for m in client.received("message:new")}
            ),
            what="every message on every socket",
        )
        mine = [m for m in client.received("message:new") if m["client_id"] in wanted]
        assert len(mine) == len(wanted)  # each once
        assert [m["seq"] for m in mine] == sorted(m["seq"] for m in mine)  # in order

    reply = agent_b.ok(
        "message:send", {"conversation_id": conversation_id, "client_id": "r1", "body": "hi"}
    )["message"]
    for tab in (here, there):  # bob on B now owns the conversation; both tabs hear him
        tab.wait_for("message:new", lambda m: m["id"] == reply["id"])


def test_concurrent_claims_on_both_processes_leave_one_owner(pair, clients):
    claimants = {
        "alice": clients(pair.a.agent("alice")),
        "bob": clients(pair.b.agent("bob")),
        "admin": clients(pair.a.agent("admin")),
    }
    for round_ in range(5):
        visitor = clients(pair.b.visitor())
        sent = visitor.ok("message:send", {"client_id": f"c{round_}", "body": "who takes me?"})
        conversation_id = sent["conversation"]["id"]
        acks = _claim_together(claimants, conversation_id)
        winners = [who for who, ack in acks.items() if ack["ok"]]
        assert len(winners) == 1, acks
        losers = [ack["error"]["code"] for ack in acks.values() if not ack["ok"]]
        assert losers == ["already_assigned"] * (len(claimants) - 1), acks
        stored = pair.b.api("GET", f"/api/v1/conversations/{conversation_id}").json()
        assert stored["conversation"]["assignee"]["id"] == pair.a.agent_id(winners[0])


def _claim_together(claimants: dict, conversation_id: str) -> dict[str, dict]:
    """Every claimant claims at the same moment (a barrier); their acks by name."""
    acks: dict[str, dict] = {}
    barrier = threading.Barrier(len(claimants))

    def claim(who, client):
        barrier.wait()
        acks[who] = client.call("conversation:claim", {"conversation_id": conversation_id})

    threads = [threading.Thread(target=claim, args=item) for item in claimants.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return acks


def test_concurrent_senders_on_both_processes_keep_seq_gapless(pair, clients):
    first_tab = clients(pair.a.visitor())
    sent = first_tab.ok("message:send", {"client_id": "start", "body": "start"})
    conversation_id = sent["conversation"]["id"]
    senders = {
        "tab-a": first_tab,
        "tab-b": clients(pair.b.visitor(token=first_tab.token)),
        "alice-a": clients(pair.a.agent("alice")),
        "bob-b": clients(pair.b.agent("bob")),
    }
    per_sender = 6
    acks: list[dict] = []

    def send(name, client):
        for n in range(per_sender):
            payload = {"client_id": f"{name}-{n}", "body": f"{name} {n}"}
            if name.startswith(("alice", "bob")):
                payload["conversation_id"] = conversation_id
            acks.append(client.ok("message:send", payload))

    threads = [threading.Thread(target=send, args=item) for item in senders.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(acks) == per_sender * len(senders)

    messages = pair.a.api("GET", f"/api/v1/conversations/{conversation_id}").json()["messages"]
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
    assert len(messages) == 1 + per_sender * len(senders)
    client_ids = [m["client_id"] for m in messages]
    assert len(set(client_ids)) == len(client_ids)


def _online(server: helpers.Server) -> bool:
    return requests.get(server.url + "/api/widget/config", timeout=10).json()["chat"]["online"]


def test_agent_online_on_one_process_shows_on_the_other(pair, clients):
    helpers.wait_until(lambda: not _online(pair.b), what="everyone offline at the start")
    watcher = clients(pair.b.visitor())
    colleague = clients(pair.b.agent("bob"))
    colleague.ok("presence:set", {"status": "away"})  # bob is connected but not available
    helpers.wait_until(lambda: not _online(pair.b), what="an away agent counts as offline")

    alice = clients(pair.a.agent("alice"))
    helpers.wait_until(lambda: _online(pair.b), what="online on B after alice joined A")
    assert _online(pair.a)
    alice_id = pair.a.agent_id("alice")
    colleague.wait_for("presence", lambda p: p["agent_id"] == alice_id and p["status"] == "online")
    watcher.wait_for("availability", lambda a: a["online"] is True)
    listed = {p["agent_id"]: p["status"] for p in colleague.ok("presence:list")["agents"]}
    assert listed[alice_id] == "online"

    alice.close()
    helpers.wait_until(lambda: not _online(pair.b), what="offline on B after alice left A")
    colleague.wait_for("presence", lambda p: p["agent_id"] == alice_id and p["status"] == "offline")
    watcher.wait_for("availability", lambda a: a["online"] is False)


def test_message_rate_limit_is_shared_by_the_processes(pair, clients):
    on_a = clients(pair.a.visitor())
    on_b = clients(pair.b.visitor(token=on_a.token))
    for n in range(MESSAGE_LIMIT):
        (on_a if n % 2 else on_b).ok("message:send", {"client_id": f"r{n}", "body": f"n{n}"})
    for client in (on_a, on_b):
        ack = client.call("message:send", {"client_id": "one-too-many", "body": "flood"})
        assert ack["ok"] is False and ack["error"]["code"] == "rate_limited", ack
    # a resend of a stored message is still answered with it
    assert on_a.ok("message:send", {"client_id": "r3", "body": "n3"})["message"]["seq"] == 4
