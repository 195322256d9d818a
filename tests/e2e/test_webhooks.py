"""Webhooks end to end: a real server, a real HTTP receiver, signatures checked with the
Standard Webhooks reference library (PROTOCOL §3, §5)."""

from __future__ import annotations

import json
import signal

import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from tests.helpers import Server, free_port, wait_until
from tests.receivers import WebhookReceiver

pytestmark = pytest.mark.e2e

FAST = {
    "SUPPORT_WEBHOOKS_ALLOW_PRIVATE": "true",
    "SUPPORT_OUTBOX_POLL_SECONDS": "0.2",
    "SUPPORT_OUTBOX_FIRST_RETRY_SECONDS": "0.5",
    "SUPPORT_WEBHOOK_TIMEOUT_SECONDS": "1",
}
ALL_TYPES = [
    "conversation.created",
    "message.created",
    "conversation.assigned",
    "conversation.closed",
    "conversation.rated",
]


@pytest.fixture(scope="module")
def fast_server(server_factory):
    return server_factory(**FAST)


@pytest.fixture
def receiver():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


def add_webhook(server, url: str, events=None) -> dict:
    answer = server.api(
        "POST", "/api/v1/webhooks", "admin", json={"url": url, "events": events or ALL_TYPES}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["webhook"]


def remove_webhook(server, webhook: dict) -> None:
    assert server.api("DELETE", f"/api/v1/webhooks/{webhook['id']}", "admin").status_code == 204


def verified(secret: str, request: dict) -> dict:
    """The delivery's JSON body, after the reference library has checked its signature."""
    return Verifier(secret).verify(request["body"], request["headers"])


def test_every_event_type_arrives_signed(fast_server, receiver):
    webhook = add_webhook(fast_server, receiver.url)
    assert webhook["secret"].startswith("whsec_") and webhook["events"] == ALL_TYPES
    try:
        visitor, agent = fast_server.visitor(name="Hook Visitor"), fast_server.agent("alice")
        sent = visitor.ok("message:send", {"client_id": "h1", "body": "Hello hooks"})
        conversation_id = sent["conversation"]["id"]
        agent.ok("conversation:claim", {"conversation_id": conversation_id})
        agent.ok(
            "message:send",
            {
                "conversation_id": conversation_id,
                "client_id": "n1",
                "body": "a note",
                "private": True,
            },
        )
        agent.ok("conversation:close", {"conversation_id": conversation_id})
        visitor.ok("conversation:rate", {"rating": 5})
        requests = receiver.wait_for(6)
    finally:
        remove_webhook(fast_server, webhook)
    bodies = [verified(webhook["secret"], r) for r in requests]
    by_type = {}
    for body in bodies:
        assert set(body) == {"type", "timestamp", "data"}
        by_type.setdefault(body["type"], []).append(body["data"])
    assert sorted(by_type) == sorted(ALL_TYPES)
    assert by_type["conversation.created"][0]["id"] == conversation_id
    messages = {m["body"]: m for m in by_type["message.created"]}
    assert messages["Hello hooks"]["conversation_id"] == conversation_id
    assert messages["a note"]["private"] is True
    assert by_type["conversation.assigned"][0]["assignee"]["name"] == "Alice Agent"
    assert by_type["conversation.closed"][0]["status"] == "closed"
    assert by_type["conversation.rated"][0]["rating"] == 5
    ids = [r["headers"]["webhook-id"] for r in requests]
    assert len(set(ids)) == 6
    visitor.close()
    agent.close()


def test_only_chosen_event_types_are_delivered(fast_server, receiver):
    webhook = add_webhook(fast_server, receiver.url, ["conversation.closed"])
    try:
        visitor, agent = fast_server.visitor(), fast_server.agent("bob")
        sent = visitor.ok("message:send", {"client_id": "c1", "body": "only closes"})
        agent.ok("conversation:close", {"conversation_id": sent["conversation"]["id"]})
        [request] = receiver.wait_for(1)
    finally:
        remove_webhook(fast_server, webhook)
    assert verified(webhook["secret"], request)["type"] == "conversation.closed"
    assert len(receiver.requests) == 1


def test_rest_routes_validate_and_hide_the_secret(fast_server):
    post = lambda body, who="admin": fast_server.api("POST", "/api/v1/webhooks", who, json=body)  # noqa: E731
    for bad in (
        {"url": "ftp://example.com/x", "events": ["message.created"]},
        {"url": "not a url", "events": ["message.created"]},
        {"url": "https://example.com/x", "events": ["message.deleted"]},
        {"url": "https://example.com/x", "events": []},
        {"url": "https://example.com/x"},
        ["https://example.com/x"],
    ):
        answer = post(bad)
        assert answer.status_code == 400, bad
        assert answer.json()["error"]["code"] == "invalid_payload"
    assert (
        post({"url": "https://example.com/x", "events": ["message.created"]}, "alice").status_code
        == 403
    )
    created = post({"url": "https://example.com/x", "events": ["message.created"]}).json()[
        "webhook"
    ]
    listed = fast_server.api("GET", "/api/v1/webhooks", "admin").json()
    [entry] = [w for w in listed["webhooks"] if w["id"] == created["id"]]
    assert entry["url"] == "https://example.com/x" and "secret" not in entry
    path = f"/api/v1/webhooks/{created['id']}"
    assert fast_server.api("DELETE", path, "admin").status_code == 204
    assert fast_server.api("DELETE", path, "admin").status_code == 404
    assert fast_server.api("GET", "/api/v1/webhooks", "alice").status_code == 403


def test_a_500_and_a_timeout_are_retried_with_the_same_webhook_id(fast_server):
    receiver = WebhookReceiver(answers=[500, ("sleep", 2.5)])
    webhook = add_webhook(fast_server, receiver.url, ["message.created"])
    try:
        visitor = fast_server.visitor()
        visitor.ok("message:send", {"client_id": "r1", "body": "retry me"})
        requests = receiver.wait_for(3, timeout=30)
        deliveries_path = f"/api/v1/webhooks/{webhook['id']}/deliveries"
        [delivery] = wait_until(
            lambda: [
                d
                for d in fast_server.api("GET", deliveries_path, "admin").json()["items"]
                if d["status"] == "sent"
            ],
            what="the delivery recorded as sent",
        )
    finally:
        remove_webhook(fast_server, webhook)
        receiver.close()
    assert [r["status"] for r in requests[:3]] == [500, 200, 200]
    assert len({r["headers"]["webhook-id"] for r in requests}) == 1
    for request in requests:
        assert json.loads(request["body"])["data"]["body"] == "retry me"
        verified(webhook["secret"], request)
    assert delivery["attempts"] == 3 and delivery["response_code"] == 200
    assert "msg_" + delivery["id"] == requests[0]["headers"]["webhook-id"]


def test_redeliver_sends_the_same_delivery_again(fast_server, receiver):
    webhook = add_webhook(fast_server, receiver.url, ["message.created"])
    try:
        fast_server.visitor().ok("message:send", {"client_id": "x1", "body": "again"})
        [first] = receiver.wait_for(1)
        path = f"/api/v1/webhooks/{webhook['id']}/deliveries"
        [delivery] = wait_until(
            lambda: [
                d
                for d in fast_server.api("GET", path, "admin").json()["items"]
                if d["status"] == "sent"
            ],
            what="the first delivery recorded",
        )
        answer = fast_server.api("POST", f"{path}/{delivery['id']}/redeliver", "admin")
        assert answer.status_code == 202
        second = receiver.wait_for(2)[1]
    finally:
        remove_webhook(fast_server, webhook)
    assert second["headers"]["webhook-id"] == first["headers"]["webhook-id"]
    assert second["body"] == first["body"]


def test_private_and_loopback_targets_are_refused_without_the_setting(server, receiver):
    webhook = add_webhook(server, receiver.url, ["message.created"])
    try:
        server.visitor().ok("message:send", {"client_id": "p1", "body": "to loopback?"})
        path = f"/api/v1/webhooks/{webhook['id']}/deliveries"
        [delivery] = wait_until(
            lambda: [
                d
                for d in server.api("GET", path, "admin").json()["items"]
                if d["status"] == "failed"
            ],
            what="the delivery refused",
        )
    finally:
        remove_webhook(server, webhook)
    assert "private or loopback" in delivery["last_error"]
    assert receiver.requests == []


def test_deliveries_pending_when_the_server_is_killed_are_sent_after_restart(server_factory):
    port = free_port()  # nobody listens yet: every attempt fails and is retried
    # A short lease: the kill may come between a claim and its record.
    server = server_factory(
        **(FAST | {"SUPPORT_OUTBOX_FIRST_RETRY_SECONDS": "1", "SUPPORT_OUTBOX_LEASE_SECONDS": "2"})
    )
    webhook = add_webhook(server, f"http://127.0.0.1:{port}/hook", ["message.created"])
    visitor = server.visitor()
    for n in range(3):
        visitor.ok("message:send", {"client_id": f"k{n}", "body": f"pending {n}"})
    visitor.close()
    path = f"/api/v1/webhooks/{webhook['id']}/deliveries"
    wait_until(
        lambda: all(d["attempts"] >= 1 for d in server.api("GET", path, "admin").json()["items"]),
        what="a failed attempt of each delivery",
    )
    server.stop(signal.SIGKILL)
    receiver = WebhookReceiver(port=port)
    restarted = Server.launch(server.env, server.log.parent)
    try:
        requests = receiver.wait_for(3, timeout=45)
    finally:
        restarted.stop()
        receiver.close()
    bodies = sorted(verified(webhook["secret"], r)["data"]["body"] for r in requests)
    assert bodies == ["pending 0", "pending 1", "pending 2"]


def test_a_server_killed_mid_send_sends_again_with_the_same_webhook_id(server_factory):
    receiver = WebhookReceiver(answers=[("sleep", 3)])  # the first attempt hangs
    # A short lease, so that the test need not wait a minute for the row to be free again.
    quick_lease = {"SUPPORT_WEBHOOK_TIMEOUT_SECONDS": "5", "SUPPORT_OUTBOX_LEASE_SECONDS": "2"}
    server = server_factory(**(FAST | quick_lease))
    webhook = add_webhook(server, receiver.url, ["message.created"])
    server.visitor().ok("message:send", {"client_id": "m1", "body": "mid-send"})
    first = receiver.wait_for_arrival()
    server.stop(signal.SIGKILL)  # killed while waiting for the receiver's answer
    restarted = Server.launch(server.env, server.log.parent)
    try:
        requests = receiver.wait_for(2, timeout=30)
    finally:
        restarted.stop()
        receiver.close()
    assert {r["headers"]["webhook-id"] for r in requests} == {first["webhook-id"]}
    assert verified(webhook["secret"], requests[-1])["data"]["body"] == "mid-send"
