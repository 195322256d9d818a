"""Two server processes on one PostgreSQL database share the outbox: each claims due rows with
``FOR UPDATE SKIP LOCKED``, so every delivery goes out, once, whichever process sends it."""

from __future__ import annotations

import collections
import time

import pytest

from tests import helpers
from tests.e2e.test_webhooks import FAST, add_webhook, verified
from tests.receivers import WebhookReceiver

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def test_two_processes_send_each_delivery_once(tmp_path):
    receiver = WebhookReceiver()
    pair = helpers.ServerPair(tmp_path, FAST)
    try:
        webhook = add_webhook(pair.a, receiver.url, ["message.created"])
        visitors = [pair.a.visitor(), pair.b.visitor()]
        for n in range(20):
            visitors[n % 2].ok("message:send", {"client_id": f"c{n}", "body": f"message {n}"})
        requests = receiver.wait_for(20, timeout=30)
        time.sleep(2)  # time for a second copy, had two processes claimed one row
        for client in visitors:
            client.close()
    finally:
        pair.close()
        receiver.close()
    ids = collections.Counter(r["headers"]["webhook-id"] for r in receiver.requests)
    assert len(ids) == 20 and set(ids.values()) == {1}
    bodies = sorted(verified(webhook["secret"], r)["data"]["body"] for r in requests)
    assert bodies == sorted(f"message {n}" for n in range(20))
    sent_by = {
        log
        for server in pair.servers
        for log in [server.log.read_text()]
        if "attempt 1: sent" in log
    }
    assert len(sent_by) >= 1
