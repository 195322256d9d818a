"""What the server writes on a WebSocket arrives whole, once and in order: since
``support.lean_websocket`` an Engine.IO WebSocket has no writer greenlet of its own, and its
packets are written by a short-lived greenlet per burst (also for a socket that started on
long-polling and upgraded, whose packets queued for polling go out first).

The visitor here is a raw Engine.IO client reading the wire in order (python-socketio's client
hands each message to a thread of its own, so the order it records is not the wire's)."""

from __future__ import annotations

import json
import os
import socket
import threading
import time

import pytest
import requests
import websocket

pytestmark = pytest.mark.e2e

BODY_CHARS = 4000  # schemas.base.MAX_BODY: large frames
MESSAGE_PREFIX = '42/visitor,["message:new",'


@pytest.fixture(scope="module")
def server(server_factory):
    return server_factory(SUPPORT_LIMIT_VISITOR_MESSAGES="0")


def _open_conversation(server) -> tuple[str, str]:
    """A visitor's token and its open conversation's id."""
    token = server.new_visitor()["token"]
    opener = server.visitor(token=token)
    try:
        ack = opener.ok("message:send", {"client_id": "c-open", "body": "Hello"})
    finally:
        opener.close()
    return token, ack["conversation"]["id"]


def _messages(packets: list[str]) -> list[dict]:
    """The ``message:new`` payloads among Engine.IO packets, in wire order."""
    return [
        json.loads(p[len(MESSAGE_PREFIX) : -1]) for p in packets if p.startswith(MESSAGE_PREFIX)
    ]


def _read_until(ws, last_seq: int, packets: list[str]) -> None:
    """Read packets (answering pings) until ``message:new`` number ``last_seq`` came."""
    while not any(m["seq"] == last_seq for m in _messages(packets[-1:])):
        packet = ws.recv()
        if packet == "2":
            ws.send("3")
        packets.append(packet)


def _send(agent, conversation_id: str, label: str, count: int, sent: list) -> None:
    for n in range(count):
        body = f"{label}-{n:03d}-" + "x" * (BODY_CHARS - 20)
        ack = agent.ok(
            "message:send",
            {"conversation_id": conversation_id, "client_id": f"{label}-{n}", "body": body},
        )
        sent.append(ack["message"])


def test_a_burst_to_one_socket_arrives_whole_and_in_order(server):
    """Four agents send 4 KB messages into one conversation at once to a visitor that does not
    read meanwhile (a small receive buffer, so the server's writes wait and packets pile up):
    the visitor gets every one exactly once, intact, each agent's in the order it sent them."""
    token, conversation_id = _open_conversation(server)
    url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(
        url, timeout=30, sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),)
    )
    agents = [server.agent("alice") for _ in range(4)]
    sent: list = []
    per_agent = 25
    try:
        _join_visitor_namespace(ws, token)
        threads = [
            threading.Thread(target=_send, args=(agent, conversation_id, f"a{i}", per_agent, sent))
            for i, agent in enumerate(agents)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(sent) == 4 * per_agent
        packets: list[str] = []
        _read_until(ws, max(m["seq"] for m in sent), packets)
        got = _messages(packets)
        assert sorted(m["seq"] for m in got) == sorted(m["seq"] for m in sent)
        assert {m["id"]: m["body"] for m in got} == {m["id"]: m["body"] for m in sent}
        for i in range(4):
            mine = [m["body"] for m in got if m["body"].startswith(f"a{i}-")]
            assert mine == sorted(mine), f"agent {i}'s messages out of order"
    finally:
        ws.close()
        for agent in agents:
            agent.close()


class _Polling:
    """The long-polling half of one Engine.IO session, as a browser starts it."""

    def __init__(self, server) -> None:
        self.url = server.url + "/socket.io/?EIO=4&transport=polling"
        self.http = requests.Session()
        opened = self.http.get(self.url, timeout=10).text
        assert opened.startswith("0"), opened
        self.sid = json.loads(opened[1:])["sid"]
        self.url += "&sid=" + self.sid

    def post(self, packet: str) -> None:
        assert self.http.post(self.url, data=packet, timeout=10).text == "OK"

    def poll(self) -> list[str]:
        return self.http.get(self.url, timeout=30).text.split("\x1e")


def test_a_socket_upgraded_from_polling_gets_everything_in_order(server):
    """An agent keeps writing while a visitor's session connects on long-polling, polls, and
    upgrades to WebSocket (probe, the last poll ended, UPGRADE) as a browser does: across the
    polls and the WebSocket the visitor gets every message once, in seq order."""
    token, conversation_id = _open_conversation(server)
    agent = server.agent("alice")
    sent: list = []
    stop = threading.Event()

    def keep_sending() -> None:
        n = 0
        while not stop.is_set() and n < 300:
            ack = agent.ok(
                "message:send",
                {"conversation_id": conversation_id, "client_id": f"u-{n}", "body": f"u{n}"},
            )
            sent.append(ack["message"])
            n += 1

    writer = threading.Thread(target=keep_sending)
    polling = _Polling(server)
    packets: list[str] = []
    ws = None
    try:
        polling.post("40/visitor," + json.dumps({"token": token}))
        packets += polling.poll()
        assert any(p.startswith("40/visitor,") for p in packets), packets
        writer.start()
        while len(sent) < 3:
            time.sleep(0.01)
        first_seen = len(sent)
        packets += polling.poll()
        in_flight: list[str] = []
        last_poll = threading.Thread(target=lambda: in_flight.extend(polling.poll()))
        last_poll.start()
        ws_url = server.url.replace("http://", "ws://")
        ws = websocket.create_connection(
            f"{ws_url}/socket.io/?EIO=4&transport=websocket&sid={polling.sid}", timeout=30
        )
        ws.send("2probe")
        assert ws.recv() == "3probe"
        last_poll.join()  # the server ends it (NOOP) once the probe is answered
        packets += in_flight
        time.sleep(0.2)  # packets queued between the last poll and the UPGRADE
        ws.send("5")
        time.sleep(0.3)  # more messages on the WebSocket
        stop.set()
        writer.join()
        _read_until(ws, sent[-1]["seq"], packets)
        seqs = [m["seq"] for m in _messages(packets)]
        assert seqs == list(range(seqs[0], sent[-1]["seq"] + 1)), seqs
        # sent[first_seen] was sent after the visitor had connected: it must be there
        assert seqs[0] <= sent[first_seen]["seq"], (seqs[0], first_seen)
        assert "6" in packets  # the NOOP that ended the last poll
    finally:
        stop.set()
        if writer.is_alive():
            writer.join()
        agent.close()
        if ws is not None:
            ws.close()


def _open_fds(server) -> int:
    return len(os.listdir(f"/proc/{server.process.pid}/fd"))


def _wait_for_fds(server, at_most: int) -> int:
    deadline = time.monotonic() + 10
    while _open_fds(server) > at_most and time.monotonic() < deadline:
        time.sleep(0.05)
    return _open_fds(server)


def _visitor_socket(server, token: str):
    url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(url, timeout=10)
    _join_visitor_namespace(ws, token)
    return ws


def _join_visitor_namespace(ws, token: str) -> None:
    """Engine.IO OPEN, then the /visitor namespace's CONNECT and its answer."""
    assert ws.recv().startswith("0")
    ws.send("40/visitor," + json.dumps({"token": token}))
    # A namespace-wide broadcast (``availability``, when an earlier test's agents leave) may
    # reach the socket before its CONNECT answer: python-socketio adds the socket to the
    # namespace before the connect handler has finished. Clients hold such events until they
    # are connected; this one skips them.
    reply = ws.recv()
    while reply.startswith("42/visitor,"):
        reply = ws.recv()
    assert reply.startswith("40/visitor,"), reply


@pytest.mark.parametrize("closed_by", ["client", "server"])
def test_a_websocket_connection_is_closed_when_the_socket_ends(server, closed_by):
    """The WebSocket's reads go on in a greenlet of their own after its request has ended
    (``lean_websocket``), which closes the connection at the end: whether the client goes
    away or the server ends the session (here on the client's Engine.IO CLOSE), the server's
    file descriptors come back."""
    token = server.new_visitor()["token"]
    before = _open_fds(server)
    sockets = [_visitor_socket(server, token) for _ in range(20)]
    assert _open_fds(server) >= before + 18  # (a kept-alive HTTP connection may have gone)
    for ws in sockets:
        if closed_by == "client":
            ws.close()
        else:
            ws.send("1")  # Engine.IO CLOSE: the server closes the WebSocket
    if closed_by == "server":
        for ws in sockets:
            with pytest.raises(websocket.WebSocketConnectionClosedException):
                while True:
                    ws.recv()
    assert _wait_for_fds(server, before + 2) <= before + 2
