"""The chat contract (PROTOCOL §4) through a real ``support serve`` process and python-socketio."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import socketio

from tests.helpers import SocketClient


@pytest.fixture(scope="module")
def server(server_factory):
    """No message limit here: these tests send fast on purpose (floods are tested apart)."""
    return server_factory(SUPPORT_LIMIT_VISITOR_MESSAGES="0")


@pytest.fixture
def alice(server):
    client = server.agent("alice")
    yield client
    client.close()


@pytest.fixture
def bob(server):
    client = server.agent("bob")
    yield client
    client.close()


@pytest.fixture
def visitor(server):
    client = server.visitor(name="Vera Visitor")
    yield client
    client.close()


def cid() -> str:
    return "c-" + uuid.uuid4().hex


def start_conversation(visitor, body="Hello") -> dict:
    return visitor.ok("message:send", {"client_id": cid(), "body": body})["conversation"]


def test_visitor_and_agent_round_trip(server, alice, visitor):
    ack = visitor.ok("message:send", {"client_id": "first", "body": "Hello there"})
    conversation = ack["conversation"]
    assert ack["message"]["seq"] == 1
    assert ack["message"]["sender"] == {
        "type": "visitor",
        "id": conversation["visitor"]["id"],
        "name": "Vera Visitor",
    }
    assert conversation["status"] == "open" and conversation["assignee"] is None
    alice.wait_for("conversation:new", lambda c: c["id"] == conversation["id"])
    alice.wait_for("message:new", lambda m: m["body"] == "Hello there")

    reply = alice.ok(
        "message:send",
        {"conversation_id": conversation["id"], "client_id": "r1", "body": "Hi, how can I help?"},
    )["message"]
    assert reply["seq"] == 2 and reply["sender"]["type"] == "agent"
    got = visitor.wait_for("message:new", lambda m: m["id"] == reply["id"])
    assert got["sender"]["name"] == "Alice Agent"

    fetched = visitor.ok("conversation:get", {})
    assert [m["seq"] for m in fetched["messages"]] == [1, 2]


def test_resent_client_id_is_stored_and_broadcast_once(server, alice, visitor):
    first = visitor.ok("message:send", {"client_id": "dup-1", "body": "once"})
    again = visitor.ok("message:send", {"client_id": "dup-1", "body": "once"})
    assert again["message"]["id"] == first["message"]["id"]
    conversation_id = first["conversation"]["id"]
    agent_copy = alice.ok(
        "message:send",
        {
            "conversation_id": conversation_id,
            "client_id": "dup-1",
            "body": "same key, other sender",
        },
    )
    assert agent_copy["message"]["id"] != first["message"]["id"]
    alice.ok(
        "message:send",
        {
            "conversation_id": conversation_id,
            "client_id": "dup-1",
            "body": "same key, other sender",
        },
    )
    messages = alice.ok("sync", {"conversation_id": conversation_id, "after_seq": 0})["messages"]
    assert [m["seq"] for m in messages] == [1, 2]
    alice.wait_for("message:new", lambda m: m["id"] == agent_copy["message"]["id"])
    seen = [
        m["id"] for m in alice.received("message:new") if m["conversation_id"] == conversation_id
    ]
    assert sorted(seen) == sorted({first["message"]["id"], agent_copy["message"]["id"]})


def test_an_agent_client_id_reused_in_another_conversation_is_refused(server, alice):
    first, second = server.visitor(), server.visitor()
    one, two = start_conversation(first), start_conversation(second)
    key = cid()
    stored = alice.ok(
        "message:send", {"conversation_id": one["id"], "client_id": key, "body": "for one"}
    )["message"]
    ack = alice.call(
        "message:send", {"conversation_id": two["id"], "client_id": key, "body": "for two"}
    )
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", ack
    again = alice.ok(
        "message:send", {"conversation_id": one["id"], "client_id": key, "body": "for one"}
    )
    assert again["message"]["id"] == stored["id"]  # a true resend is still answered
    synced = alice.ok("sync", {"conversation_id": two["id"], "after_seq": 0})["messages"]
    assert [m["sender"]["type"] for m in synced] == ["visitor"]
    first.close()
    second.close()


def test_an_erased_visitor_cannot_post_from_a_socket_it_still_holds(server, alice):
    visitor = server.visitor(name="Gone Soon")
    conversation = start_conversation(visitor)
    visitor_id = conversation["visitor"]["id"]
    assert server.api("DELETE", f"/api/v1/visitors/{visitor_id}", who="admin").status_code == 204
    ack = visitor.call("message:send", {"client_id": cid(), "body": "still here?"})
    assert ack["ok"] is False and ack["error"]["code"] == "unauthorized", ack
    inbox = alice.ok("inbox:list", {"view": "open"})["conversations"]
    assert visitor_id not in {c["visitor"]["id"] for c in inbox}
    visitor.close()


def test_retried_first_message_opens_one_conversation(server):
    """Two sockets of one visitor race the same first message: one conversation, one message."""
    token = server.new_visitor()["token"]
    tabs = [server.visitor(token=token) for _ in range(4)]
    acks = [None] * len(tabs)

    def send(i):
        acks[i] = tabs[i].call("message:send", {"client_id": "racing-first", "body": "hi"})

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(tabs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(ack["ok"] for ack in acks), acks
    assert len({ack["message"]["id"] for ack in acks}) == 1
    assert len({ack["conversation"]["id"] for ack in acks}) == 1
    for tab in tabs:
        tab.close()


def test_concurrent_senders_get_gapless_seq(server, alice, bob):
    """A visitor's tabs and two agents, 32 sockets in all, send at once into one conversation."""
    token = server.new_visitor(name="Busy")["token"]
    opener = server.visitor(token=token)
    conversation_id = start_conversation(opener)["id"]
    visitor_tabs = [server.visitor(token=token) for _ in range(14)]
    agent_sockets = [server.agent("alice") for _ in range(8)] + [
        server.agent("bob") for _ in range(8)
    ]
    failures = []

    def send(client, is_agent, n):
        for i in range(3):
            payload = {"client_id": f"{n}-{i}-{uuid.uuid4().hex[:6]}", "body": f"m{n}.{i}"}
            if is_agent:
                payload["conversation_id"] = conversation_id
            ack = client.call("message:send", payload)
            if not ack.get("ok"):
                failures.append(ack)

    senders = [(c, False) for c in visitor_tabs] + [(c, True) for c in agent_sockets]
    threads = [threading.Thread(target=send, args=(c, a, n)) for n, (c, a) in enumerate(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    messages = alice.ok("sync", {"conversation_id": conversation_id, "after_seq": 0})["messages"]
    assert [m["seq"] for m in messages] == list(range(1, 1 + 1 + 3 * len(senders)))
    for client in [opener, *visitor_tabs, *agent_sockets]:
        client.close()


def test_exactly_one_of_concurrent_claims_wins(server, visitor):
    conversation_id = start_conversation(visitor)["id"]
    claimers = [server.agent("alice"), server.agent("bob"), server.agent("admin")]
    acks = [None] * 3

    def claim(i):
        acks[i] = claimers[i].call("conversation:claim", {"conversation_id": conversation_id})

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(3)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:  # a failure here must not leave three agents online for the module's next tests
        for client in claimers:
            client.close()
    winners = [ack for ack in acks if ack["ok"]]
    losers = [ack for ack in acks if not ack["ok"]]
    assert len(winners) == 1, acks
    assert all(ack["error"]["code"] == "already_assigned" for ack in losers), acks


def test_private_notes_never_reach_the_visitor(server, alice, visitor):
    conversation_id = start_conversation(visitor)["id"]
    note = alice.ok(
        "message:send",
        {
            "conversation_id": conversation_id,
            "client_id": cid(),
            "body": "internal: VIP customer",
            "private": True,
        },
    )["message"]
    public = alice.ok(
        "message:send",
        {"conversation_id": conversation_id, "client_id": cid(), "body": "public reply"},
    )["message"]
    assert note["private"] is True
    visitor.wait_for("message:new", lambda m: m["id"] == public["id"])
    assert all(not m["private"] for m in visitor.received("message:new"))
    assert "internal: VIP customer" not in str(visitor.received("message:new"))
    history = visitor.ok("conversation:get", {})["messages"]
    assert [m["body"] for m in history] == ["Hello", "public reply"]
    synced = visitor.ok("sync", {"after_seq": 0})["messages"]
    assert [m["seq"] for m in synced] == [1, 3]  # the note's seq 2 is a visible gap
    agent_view = alice.ok("conversation:open", {"conversation_id": conversation_id})["messages"]
    assert [m["seq"] for m in agent_view] == [1, 2, 3]


def test_two_visitors_cannot_see_each_other(server, alice):
    one, two = server.visitor(name="One"), server.visitor(name="Two")
    conv_one = start_conversation(one, "secret of one")["id"]
    conv_two = start_conversation(two, "secret of two")["id"]
    alice.ok("message:send", {"conversation_id": conv_one, "client_id": cid(), "body": "to one"})
    one.wait_for("message:new", lambda m: m["body"] == "to one")
    assert all(m["conversation_id"] == conv_one for m in one.received("message:new"))
    assert all(m["conversation_id"] == conv_two for m in two.received("message:new"))
    assert two.ok("conversation:get", {})["conversation"]["id"] == conv_two
    # A conversation id in a visitor's payload is ignored, never obeyed.
    sent = two.ok("message:send", {"client_id": cid(), "body": "x", "conversation_id": conv_one})
    assert sent["conversation"]["id"] == conv_two
    # Agent-only events do not exist for visitors.
    claim = two.call("conversation:claim", {"conversation_id": conv_one})
    assert claim["error"]["code"] == "unknown_event"
    one.close()
    two.close()


def test_reconnecting_visitor_syncs_exactly_what_it_missed(server, alice):
    token = server.new_visitor()["token"]
    first = server.visitor(token=token)
    conversation_id = start_conversation(first)["id"]
    alice.ok("message:send", {"conversation_id": conversation_id, "client_id": cid(), "body": "a1"})
    last_seen = first.wait_for("message:new", lambda m: m["body"] == "a1")["seq"]
    first.close()
    missed = [
        alice.ok(
            "message:send",
            {"conversation_id": conversation_id, "client_id": cid(), "body": f"missed {i}"},
        )["message"]
        for i in range(3)
    ]
    back = server.visitor(token=token)
    synced = back.ok("sync", {"after_seq": last_seen})["messages"]
    assert [m["id"] for m in synced] == [m["id"] for m in missed]
    assert back.ok("sync", {"after_seq": missed[-1]["seq"]})["messages"] == []
    back.close()


def test_agent_sync_includes_notes(server, alice, visitor):
    conversation_id = start_conversation(visitor)["id"]
    alice.ok(
        "message:send",
        {"conversation_id": conversation_id, "client_id": cid(), "body": "n", "private": True},
    )
    synced = alice.ok("sync", {"conversation_id": conversation_id, "after_seq": 1})["messages"]
    assert [(m["seq"], m["private"]) for m in synced] == [(2, True)]


def test_claim_transfer_close_and_rate(server, alice, bob, visitor):
    conversation_id = start_conversation(visitor)["id"]
    claimed = alice.ok("conversation:claim", {"conversation_id": conversation_id})["conversation"]
    assert claimed["assignee"]["name"] == "Alice Agent"
    visitor.wait_for(
        "conversation:updated", lambda c: (c.get("assignee") or {}).get("name") == "Alice Agent"
    )
    refused = bob.call("conversation:close", {"conversation_id": conversation_id})
    assert refused["error"]["code"] == "forbidden"
    bob_id = server.agent_id("bob")
    moved = alice.ok(
        "conversation:transfer", {"conversation_id": conversation_id, "agent_id": bob_id}
    )
    assert moved["conversation"]["assignee"]["id"] == bob_id
    bob.wait_for("conversation:updated", lambda c: c["id"] == conversation_id)
    early = visitor.call("conversation:rate", {"rating": 5})
    assert early["error"]["code"] == "invalid_payload"
    closed = bob.ok("conversation:close", {"conversation_id": conversation_id})["conversation"]
    assert closed["status"] == "closed"
    visitor.wait_for("conversation:updated", lambda c: c["status"] == "closed")
    late = alice.call(
        "message:send", {"conversation_id": conversation_id, "client_id": cid(), "body": "x"}
    )
    assert late["error"]["code"] == "conversation_closed"
    rated = visitor.ok("conversation:rate", {"rating": 4, "comment": "quick"})["conversation"]
    assert rated["rating"] == 4
    assert visitor.ok("conversation:rate", {"rating": 5})["conversation"]["rating"] == 5
    # The next message opens a new conversation.
    new = visitor.ok("message:send", {"client_id": cid(), "body": "one more thing"})["conversation"]
    assert new["id"] != conversation_id and new["status"] == "open"


def test_typing_and_read_receipts_travel_both_ways(server, alice, visitor):
    conversation_id = start_conversation(visitor)["id"]
    alice.ok("conversation:claim", {"conversation_id": conversation_id})
    visitor.ok("typing", {"typing": True})
    got = alice.wait_for("typing", lambda t: t["conversation_id"] == conversation_id)
    assert got == {"conversation_id": conversation_id, "from": "visitor", "typing": True}
    alice.ok("typing", {"conversation_id": conversation_id, "typing": True})
    got = visitor.wait_for("typing", lambda t: t["from"] == "agent")
    assert got["name"] == "Alice Agent" and got["typing"] is True
    alice.ok("messages:read", {"conversation_id": conversation_id, "seq": 1})
    assert visitor.wait_for("messages:read", lambda r: r["by"] == "agent")["seq"] == 1
    reply = alice.ok(
        "message:send", {"conversation_id": conversation_id, "client_id": cid(), "body": "hi"}
    )
    visitor.ok("messages:read", {"seq": reply["message"]["seq"]})
    got = alice.wait_for("messages:read", lambda r: r["by"] == "visitor")
    assert got == {"conversation_id": conversation_id, "seq": 2, "by": "visitor"}


def test_agents_hear_only_their_conversations(server, alice, bob, visitor):
    conversation_id = start_conversation(visitor)["id"]
    alice.ok("conversation:claim", {"conversation_id": conversation_id})
    bob.wait_for("conversation:updated", lambda c: c["id"] == conversation_id)  # it left the queue
    visitor.ok("message:send", {"client_id": cid(), "body": "for alice only"})
    alice.wait_for("message:new", lambda m: m["body"] == "for alice only")
    assert not [m for m in bob.received("message:new") if m["body"] == "for alice only"]
    bob.ok("conversation:open", {"conversation_id": conversation_id})
    visitor.ok("message:send", {"client_id": cid(), "body": "now bob watches"})
    bob.wait_for("message:new", lambda m: m["body"] == "now bob watches")


def test_inbox_views(server, alice, bob):
    v = server.visitor(name="Inbox")
    conversation_id = start_conversation(v)["id"]
    unassigned = alice.ok("inbox:list", {"view": "unassigned"})["conversations"]
    assert conversation_id in [c["id"] for c in unassigned]
    alice.ok("conversation:claim", {"conversation_id": conversation_id})
    mine = alice.ok("inbox:list", {"view": "mine"})["conversations"]
    assert [c["id"] for c in mine if c["id"] == conversation_id]
    assert conversation_id not in [
        c["id"] for c in bob.ok("inbox:list", {"view": "mine"})["conversations"]
    ]
    assert conversation_id in [
        c["id"] for c in bob.ok("inbox:list", {"view": "open"})["conversations"]
    ]
    alice.ok("conversation:close", {"conversation_id": conversation_id})
    assert conversation_id in [
        c["id"] for c in bob.ok("inbox:list", {"view": "closed"})["conversations"]
    ]
    v.close()


def test_presence_drives_availability(server):
    import requests

    def online():
        return requests.get(server.url + "/api/widget/config", timeout=5).json()["chat"]["online"]

    watcher = server.visitor()
    agent = server.agent("bob")
    assert online() is True
    agent.ok("presence:set", {"status": "away"})
    watcher.wait_for("availability", lambda a: a["online"] is False)
    assert online() is False
    agent.ok("presence:set", {"status": "online"})
    watcher.wait_for("availability", lambda a: a["online"] is True)
    seen = len(watcher.received("availability"))
    agent.close()
    watcher.wait_for("availability", lambda a: a["online"] is False, timeout=10, since=seen)
    assert online() is False
    watcher.close()


def test_bad_tokens_are_refused(server):
    for namespace, auth in [
        ("/visitor", {"token": "forged"}),
        ("/visitor", None),
        ("/agent", {"token": "sup_forged"}),
        ("/agent", {}),
    ]:
        client = SocketClient(server.url, namespace, auth, connect=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect()
        assert client.connect_errors
        error = client.connect_errors[-1]
        assert error["data"] == {"code": "unauthorized"} and error["message"]


def test_deactivating_an_agent_drops_its_sockets(server_factory):
    server = server_factory()
    bob = server.agent("bob")
    bob_id = server.agent_id("bob")
    answer = server.api("PATCH", f"/api/v1/agents/{bob_id}", who="admin", json={"active": False})
    assert answer.status_code == 200, answer.text
    deadline = time.monotonic() + 10
    while bob.sio.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not bob.sio.connected
    refused = SocketClient(server.url, "/agent", {"token": server.token("bob")}, connect=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        refused.connect()


def test_visitor_sockets_only_from_allowed_origins(server_factory):
    server = server_factory(SUPPORT_ALLOWED_ORIGINS="https://shop.example")
    token = server.new_visitor()["token"]
    allowed = SocketClient(
        server.url, "/visitor", {"token": token}, headers={"Origin": "https://shop.example"}
    )
    assert allowed.ok("conversation:get", {})["conversation"] is None
    allowed.close()
    own = server.visitor(token=token)  # the widget's frame: the server's own origin
    own.close()
    foreign = SocketClient(
        server.url,
        "/visitor",
        {"token": token},
        headers={"Origin": "https://evil.example"},
        connect=False,
    )
    with pytest.raises(socketio.exceptions.ConnectionError):
        foreign.connect()
    assert foreign.connect_errors[-1]["data"] == {"code": "forbidden"}


def test_long_polling_clients_upgrade_to_websocket(server):
    """Browsers start on HTTP long-polling and upgrade; the upgrade must work (its probe is a
    plain engine.io packet that no JSON hook may touch)."""
    client = socketio.Client(reconnection=False)
    client.connect(server.url, namespaces=["/agent"], auth={"token": server.token("alice")})
    try:
        deadline = time.monotonic() + 10
        while client.transport() != "websocket" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.transport() == "websocket"
        ack = client.call("inbox:list", {"view": "open"}, namespace="/agent")
        assert ack["ok"] is True
    finally:
        client.disconnect()
