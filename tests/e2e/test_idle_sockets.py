"""An idle socket is kept alive: the server's pings (on hub timers, ``serving.ping_on_timers``)
keep coming, and a client that answers them stays connected."""

from __future__ import annotations

import json
import re
import socket
import time

import pytest
import websocket

pytestmark = pytest.mark.e2e

PING_INTERVAL = 20  # support.app: ping_interval


def test_an_idle_visitor_socket_is_pinged_and_stays_connected(server):
    token = server.new_visitor()["token"]
    url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, timeout=PING_INTERVAL + 10)
    try:
        assert ws.recv().startswith("0")  # Engine.IO open
        ws.send("40/visitor," + json.dumps({"token": token}))
        assert ws.recv().startswith("40/visitor,")
        started, pings = time.monotonic(), []
        while len(pings) < 2:
            packet = ws.recv()
            if packet == "2":
                pings.append(time.monotonic() - started)
                ws.send("3")
        assert PING_INTERVAL - 1 < pings[0] < PING_INTERVAL + 5, pings
        assert PING_INTERVAL - 1 < pings[1] - pings[0] < PING_INTERVAL + 5, pings
        ws.send('42/visitor,1["conversation:get",{}]')
        answer = ws.recv()
        assert answer.startswith("43/visitor,1"), answer
        assert json.loads(answer[len("43/visitor,1") :])[0]["ok"] is True
    finally:
        ws.close()


def _raw_request(server, request: bytes) -> tuple[bytes, bytes]:
    """Send ``request`` on a fresh connection; what came back, and what a further read gets
    (``b""`` once the server has closed the connection)."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += conn.recv(4096)
        head, _, body = answer.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        while len(body) < length:
            body += conn.recv(4096)
        return head + b"\r\n\r\n" + body, conn.recv(4096)


def test_a_refused_websocket_upgrade_is_answered_in_full_and_closes(server):
    """The HTTP buffers of an upgrade are dropped (``serving._drop_buffers_for_websocket``):
    a refused upgrade still gets its whole answer, then the connection closes."""
    request = (
        f"GET /socket.io/?EIO=4&transport=websocket&sid={'x' * 20} HTTP/1.1\r\n"
        f"Host: {server.url.removeprefix('http://')}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    answer, after = _raw_request(server, request)
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert answer.endswith(b'"Invalid session ' + b"x" * 20 + b'"'), answer
    assert after == b""


def test_plain_requests_still_share_a_kept_alive_connection(server):
    host = server.url.removeprefix("http://")
    request = f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    hostname, port = host.split(":")
    with socket.create_connection((hostname, int(port)), timeout=10) as conn:
        for _ in range(2):
            conn.sendall(request)
            answer = b""
            while b"\r\n\r\n" not in answer:
                answer += conn.recv(4096)
            assert answer.startswith(b"HTTP/1.1 200"), answer
