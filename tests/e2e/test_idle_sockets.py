"""An idle socket is kept alive: the server's pings (on hub timers, ``serving.ping_on_timers``)
keep coming, and a client that answers them stays connected."""

from __future__ import annotations

import json
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
