"""The event loop keeps running while PostgreSQL makes a request wait.

psycopg 3 with its C wait function blocks eventlet's whole process during a query. These tests
make a query wait on a lock that the test holds, and check that other work goes on meanwhile:
first for the driver alone (with the unfixed driver as a control, so the test is known to catch
the fault), then for a real server, where other sockets' events keep being answered.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid

import psycopg
import pytest
import requests

from tests import helpers

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

PROBE = """
import os, sys, threading, time
mode, fix, url, key, go_file = sys.argv[1:6]
if mode == "eventlet":
    import eventlet
    eventlet.monkey_patch()
else:
    from gevent import monkey
    monkey.patch_all()
from support import db_driver
if fix == "fix":
    db_driver.make_psycopg_cooperative(mode)
import psycopg

def query():
    with psycopg.connect(url) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (int(key),))
        print("query done", flush=True)

worker = threading.Thread(target=query)
worker.start()
while not os.path.exists(go_file):   # the test creates it once the query waits on the lock
    time.sleep(0.02)
print("loop alive", flush=True)
worker.join()
"""


def _lock_waiters(admin: psycopg.Connection, key: int) -> int:
    return admin.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = %s",
        (key,),
    ).fetchone()[0]


def _probe_order(tmp_path, mode: str, fix: str) -> list[str]:
    """Run the probe while holding the advisory lock its query wants; return its lines in the
    order they came. "loop alive" first means other greenlets ran during the query."""
    url = helpers.require_postgres()
    key = uuid.uuid4().int % 2**31
    go_file = tmp_path / f"go-{mode}-{fix}"
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (key,))
        probe = subprocess.Popen(
            [sys.executable, "-c", PROBE, mode, fix, url, str(key), str(go_file)],
            cwd=helpers.ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(x.strip() for x in probe.stdout))
        reader.start()
        try:
            helpers.wait_until(lambda: _lock_waiters(holder, key), 20, what="probe query waiting")
            go_file.touch()
            if fix == "fix":
                helpers.wait_until(lambda: lines, 10, what="the probe's loop to run")
        finally:
            holder.execute("SELECT pg_advisory_unlock(%s)", (key,))
            probe.wait(20)
            reader.join(5)
    return lines


@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_psycopg_waits_cooperatively(tmp_path, mode):
    assert _probe_order(tmp_path, mode, "fix") == ["loop alive", "query done"]


def test_control_unfixed_psycopg_blocks_eventlet(tmp_path):
    """Without db_driver the C wait function freezes eventlet: nothing else runs until the
    query ends. This is the fault the test above would catch."""
    assert _probe_order(tmp_path, "eventlet", "nofix") == ["query done", "loop alive"]


@pytest.fixture(scope="module", params=["eventlet", "gevent"])
def pg_server(request, tmp_path_factory):
    url, drop = helpers.new_postgres_database()
    env = {"SUPPORT_ASYNC_MODE": request.param}
    server = helpers.Server.start(tmp_path_factory.mktemp("pg"), env, database_url=url)
    yield server
    server.stop()
    drop()


def test_event_loop_answers_while_a_request_waits_on_postgres(pg_server):
    """Hold a row lock on one visitor's conversation: that visitor's message waits in the
    server; meanwhile another visitor, an agent and /healthz are all answered."""
    stuck, other = pg_server.visitor(), pg_server.visitor()
    agent = pg_server.agent("alice")
    try:
        first = stuck.ok("message:send", {"client_id": "m1", "body": "hello"})
        other.ok("message:send", {"client_id": "m1", "body": "hi from the other visitor"})
        conversation_id = first["conversation"]["id"]
        database = pg_server.env["SUPPORT_DATABASE_URL"]
        with psycopg.connect(database) as locker:
            locker.execute(
                "SELECT id FROM conversations WHERE id = %s FOR UPDATE", (conversation_id,)
            )
            acks: list = []
            sender = threading.Thread(
                target=lambda: acks.append(
                    stuck.call("message:send", {"client_id": "m2", "body": "waits"}, timeout=60)
                )
            )
            sender.start()
            helpers.wait_until(lambda: _waiting_on_locks(locker), 20, what="a blocked request")

            assert other.ok("conversation:get")["conversation"]["last_seq"] == 1
            other.ok("typing", {"typing": True})
            assert agent.ok("inbox:list", {"view": "unassigned"})["conversations"]
            assert requests.get(pg_server.url + "/healthz", timeout=10).status_code == 200
            assert sender.is_alive() and not acks, "the locked request finished early"
            locker.rollback()
        sender.join(30)
        assert acks and acks[0]["ok"] is True, acks
        assert acks[0]["message"]["seq"] == 2
    finally:
        for client in (stuck, other, agent):
            client.close()


def _waiting_on_locks(conn: psycopg.Connection) -> int:
    return conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    ).fetchone()[0]


REUSED_FD_PROBE = """
import sys
import eventlet
eventlet.monkey_patch()
import selectors, socket
from support import db_driver
url, fix = sys.argv[1:3]
if fix == "fix":
    db_driver.make_psycopg_cooperative("eventlet")
else:  # the green wait functions alone, without telling the hub of libpq's sockets
    from psycopg import waiting
    waiting.wait = waiting.wait_select
    waiting.DefaultSelector = selectors.DefaultSelector
import psycopg

a, b = socket.socketpair()


def read():  # as a WebSocket's read loop does, it ends on an error of its socket
    try:
        a.recv(1)
    except Exception:
        pass


eventlet.spawn(read)  # a greenlet waits on a...
eventlet.sleep(0)
fd = a.fileno()
a.close()  # ...which another closes: eventlet keeps that waiter until it sees fd opened again
with psycopg.connect(url) as conn:  # libpq gets the lowest free number: a's
    print(conn.pgconn.socket == fd, conn.execute("SELECT 1").fetchone()[0], flush=True)
"""


def _reused_fd_probe(fix: str) -> subprocess.CompletedProcess:
    url = helpers.require_postgres()
    return subprocess.run(
        [sys.executable, "-c", REUSED_FD_PROBE, url, fix],
        cwd=helpers.ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_connection_on_a_recycled_socket_number_works_under_eventlet():
    """A WebSocket closed while its reader waited, then a new PostgreSQL connection on the same
    socket number: the connection and its query work (CI saw chat events fail here)."""
    probe = _reused_fd_probe("fix")
    assert probe.stdout.split() == ["True", "1"], probe.stderr[-2000:]


def test_control_a_recycled_socket_number_fails_without_the_announcement():
    probe = _reused_fd_probe("nofix")
    assert probe.returncode != 0
    assert "Second simultaneous read" in probe.stderr
