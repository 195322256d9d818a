"""A minimal Socket.IO (v5, Engine.IO 4) client over one raw WebSocket, on asyncio.

The load generator must not be the limit: python-socketio's clients cost a thread (or an
aiohttp session) and tens of microseconds of bookkeeping per packet each. This one speaks just
what the benchmarks need (connect to one namespace with ``auth``, emit with an ack id, receive
events and acks, answer the server's pings) over asyncio streams with wsproto's framing, so
one core drives thousands of messages per second and holds 10,000 idle sockets.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Message,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)

SOCKET_PATH = "/socket.io/?EIO=4&transport=websocket"


class ConnectRefused(Exception):
    """The namespace refused the connection (``44`` packet)."""


class SocketIOClient:
    """One WebSocket, one namespace. ``on_event(name, raw_packet)`` sees every event packet
    (``42…``) as text, so a caller that only needs a field can avoid parsing JSON at all."""

    def __init__(self, namespace: str, on_event: Callable[[str], None] | None = None):
        self.namespace = namespace
        self.on_event = on_event
        self._prefix_event = f"42{namespace},"
        self._prefix_ack = f"43{namespace},"
        self._acks: dict[int, Callable[[str], None]] = {}
        self._next_ack = 0
        self._connected = asyncio.get_running_loop().create_future()
        self._ws = WSConnection(ConnectionType.CLIENT)
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task | None = None
        self._partial: list[str] = []
        self.closed = False

    async def connect(self, host: str, port: int, auth: dict, origin: str | None = None) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._writer = writer
        headers = [(b"Origin", origin.encode())] if origin else []
        writer.write(
            self._ws.send(Request(host=f"{host}:{port}", target=SOCKET_PATH, extra_headers=headers))
        )
        self._auth = auth
        self._reader_task = asyncio.create_task(self._read(reader))
        await asyncio.wait_for(self._connected, 30)

    def emit(self, event: str, data, ack: Callable[[str], None] | None = None) -> None:
        """Send ``event``; ``ack(raw)`` gets the ack's JSON text (``[{...}]``)."""
        if ack is None:
            packet = f"42{self.namespace},{json.dumps([event, data])}"
        else:
            self._next_ack += 1
            self._acks[self._next_ack] = ack
            packet = f"42{self.namespace},{self._next_ack}{json.dumps([event, data])}"
        self._send_text(packet)

    def close(self) -> None:
        if self._writer is not None and not self.closed:
            self.closed = True
            self._writer.close()
        if self._reader_task is not None:
            self._reader_task.cancel()

    def _send_text(self, text: str) -> None:
        if not self.closed:
            self._writer.write(self._ws.send(Message(data=text)))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                self._ws.receive_data(data)
                for event in self._ws.events():
                    self._on_ws_event(event)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.closed = True
            if not self._connected.done():
                self._connected.set_exception(ConnectionError("closed before connecting"))

    def _on_ws_event(self, event) -> None:
        if isinstance(event, TextMessage):
            self._partial.append(event.data)
            if event.message_finished:
                text = "".join(self._partial)
                self._partial.clear()
                self._on_packet(text)
        elif isinstance(event, Ping):
            self._writer.write(self._ws.send(event.response()))
        elif isinstance(event, RejectConnection | CloseConnection):
            self.closed = True
        elif isinstance(event, AcceptConnection):
            pass

    def _on_packet(self, text: str) -> None:
        if text.startswith(self._prefix_event):
            if self.on_event is not None:
                self.on_event(text)
        elif text.startswith(self._prefix_ack):
            self._on_ack(text[len(self._prefix_ack) :])
        elif text == "2":  # Engine.IO ping: answer at once, or the server drops us
            self._send_text("3")
        elif text.startswith("0"):  # Engine.IO open: now join the namespace
            self._send_text(f"40{self.namespace},{json.dumps(self._auth)}")
        elif text.startswith(f"40{self.namespace},"):
            if not self._connected.done():
                self._connected.set_result(True)
        elif text.startswith(f"44{self.namespace},"):
            if not self._connected.done():
                self._connected.set_exception(ConnectRefused(text))

    def _on_ack(self, rest: str) -> None:
        bracket = rest.index("[")
        callback = self._acks.pop(int(rest[:bracket]), None)
        if callback is not None:
            callback(rest[bracket:])
