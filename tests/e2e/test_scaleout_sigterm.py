"""A process that gets SIGTERM stops taking connections, finishes the event it is handling
(its ack still arrives), drops its clients so they reconnect elsewhere, and exits 0."""

from __future__ import annotations

import signal
import threading

import psycopg
import pytest
import requests
import socketio

from tests import helpers

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def _refuses_connections(server: helpers.Server) -> bool:
    try:
        requests.get(server.url + "/healthz", timeout=2)
    except requests.ConnectionError:
        return True
    return False


def _waiting_on_locks(conn: psycopg.Connection) -> int:
    return conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    ).fetchone()[0]


@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_sigterm_finishes_in_flight_events_then_sends_clients_away(tmp_path, mode):
    pair = helpers.ServerPair(tmp_path, {"SUPPORT_ASYNC_MODE": mode})
    a, b = pair.a, pair.b
    token = a.new_visitor()["token"]
    reasons: list[str] = []
    visitor = socketio.Client(reconnection=True, reconnection_delay=0.2)
    visitor.on("disconnect", lambda reason=None: reasons.append(reason), namespace="/visitor")
    agent = b.agent("alice")
    try:
        visitor.connect(
            a.url,
            namespaces=["/visitor"],
            auth={"token": token},
            transports=["websocket"],
            wait_timeout=10,
        )
        first = visitor.call(
            "message:send", {"client_id": "m1", "body": "one"}, namespace="/visitor", timeout=15
        )
        conversation_id = first["conversation"]["id"]
        acks: list = []
        with psycopg.connect(pair.database_url) as locker:
            locker.execute(
                "SELECT 1 FROM conversations WHERE id = %s FOR UPDATE", (conversation_id,)
            )
            sender = threading.Thread(
                target=lambda: acks.append(
                    visitor.call(
                        "message:send",
                        {"client_id": "m2", "body": "two"},
                        namespace="/visitor",
                        timeout=60,
                    )
                )
            )
            sender.start()
            helpers.wait_until(lambda: _waiting_on_locks(locker), 20, what="m2 in flight")

            a.process.send_signal(signal.SIGTERM)
            helpers.wait_until(lambda: _refuses_connections(a), 20, what="A refusing connections")
            assert not acks and visitor.connected, "the in-flight event was cut short"
            locker.rollback()

        sender.join(30)
        assert acks and acks[0]["ok"] is True and acks[0]["message"]["seq"] == 2, acks
        assert a.process.wait(30) == 0, a.log.read_text()
        helpers.wait_until(lambda: reasons, 10, what="the visitor to be dropped")
        # a lost transport, not a goodbye from the server: clients reconnect after it
        assert reasons[0] == socketio.Client.reason.TRANSPORT_ERROR, reasons
        visitor.disconnect()

        # the agent on B heard of m2 exactly once; the visitor resumes on B
        agent.wait_for("message:new", lambda m: m["client_id"] == "m2")
        assert [m["client_id"] for m in agent.received("message:new")] == ["m1", "m2"]
        again = b.visitor(token=token)
        assert [m["seq"] for m in again.ok("sync", {"after_seq": 1})["messages"]] == [2]
        again.close()
    finally:
        visitor.disconnect()
        agent.close()
        pair.close()
