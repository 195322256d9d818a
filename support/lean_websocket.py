"""eventlet only: an Engine.IO WebSocket that waits in no greenlet of its own.

An idle WebSocket used to hold two parked greenlets (docs/performance.md, "Idle sockets"):
engineio's writer, waiting on the socket's packet queue, and the connection's own, blocked in
``recv`` some 33 Python frames deep beneath eventlet's HTTP server, the WSGI middlewares and
eventlet's WebSocket. Under eventlet a parked greenlet keeps a copy of its C stack and the
pages of its own Python frame stack, so 10,000 idle sockets paid hundreds of megabytes to wait.

1. **No writer greenlet.** Once a socket is on WebSocket its queue is replaced by an
   ``Outbox``: ``put`` appends the packet and, if no write is under way, spawns a short-lived
   greenlet that writes what is queued, in order, and ends. So packets leave in the order they
   were put (one writer at a time, first in first out), as with engineio's queue; ``put``
   never blocks and never writes itself, so it is safe from a hub timer (the pings of
   ``serving.ping_on_timers``) and a broadcast never waits for one slow client; ``None`` (what
   ``Socket.close`` puts) and a failed write close the WebSocket, as engineio's writer did;
   ``join`` (``close(wait=True)``) waits until what was put is written.
2. **The reads go on in a fresh, shallow greenlet** and the request's deep one ends: the
   handler returns without eventlet's closing frame, and our HTTP protocol
   (``serving._lean_http_protocol``) ends the request without closing the connection; the
   reading greenlet sends the closing frame and closes the connection when the session ends,
   as eventlet did after the handler. Past ``serving.MAX_CONNECTIONS`` such WebSockets a new
   one reads in its request's greenlet, as before (they no longer count in eventlet's pool).

``_websocket_handler`` and ``_read_loop`` are engineio's ``Socket._websocket_handler`` with
only these two changes (the upgrade's probe, the packets queued for polling before the
upgrade, the read loop and the close at the end are as they were). engineio's writer also
closed a socket on which nothing was sent for ping interval + ping timeout; the server's
monitor (``check_ping_timeout``) closes a socket whose ping went unanswered, and the read
timeout a client that sends nothing, so that rule only ever duplicated them.

Keep this in step with the installed engineio: ``install`` checks the version it was written
for.
"""

from __future__ import annotations

import eventlet
import eventlet.event
from engineio import exceptions, packet
from eventlet import greenio

ENGINEIO_VERSION = "4.15.1"


class Outbox:
    """A WebSocket's packets waiting to be written, and at most one greenlet writing them."""

    __slots__ = ("_ws", "_packets", "_writing", "_closed", "_flushed")

    def __init__(self, ws, packets: list) -> None:
        self._ws = ws
        self._packets: list = []
        self._writing = False
        self._closed = False
        self._flushed: eventlet.event.Event | None = None  # made only when someone waits
        for pkt in packets:
            self.put(pkt)

    def put(self, pkt) -> None:
        """Queue ``pkt`` (``None``: close once the packets before it are written)."""
        if self._closed:
            return  # as engineio's queue once its writer had gone: nothing reads it
        self._packets.append(pkt)
        if not self._writing:
            self._writing = True
            eventlet.spawn_n(self._write)

    def _write(self) -> None:
        try:
            while self._packets and not self._closed:
                pkt = self._packets.pop(0)
                if pkt is None:
                    self._close()
                    break
                try:
                    self._ws.send(pkt.encode())
                except Exception:  # engineio's writer: any failure ends the socket
                    self._close()
        finally:
            self._writing = False
            if self._flushed is not None:
                self._flushed.send()
                self._flushed = None

    def _close(self) -> None:
        self._closed = True
        self._packets.clear()
        self._ws.close()

    def join(self) -> None:
        """Wait until everything put so far is written (or the WebSocket is closed)."""
        if self._writing:
            if self._flushed is None:
                self._flushed = eventlet.event.Event()
            self._flushed.wait()


def _take_queued(queue) -> list:
    """What was queued for long-polling before the upgrade, to be written on the WebSocket.
    A poll still waiting on the old queue (the client should not have one) is ended with a
    NOOP, as the upgrade's own NOOP ends the last poll."""
    taken = []
    while not queue.empty():
        taken.append(queue.get_nowait())
        queue.task_done()
    if queue.getting():
        queue.put(packet.Packet(packet.NOOP))
    return taken


def _websocket_handler(self, ws):  # noqa: C901  (engineio's function, kept as it is)
    """Engine.IO handler for websocket transport (engineio 4.15.1's, with the outbox)."""

    def websocket_wait():
        data = ws.wait()
        if data and len(data) > self.server.max_http_buffer_size:
            raise ValueError("packet is too large")
        return data

    # try to set a socket timeout matching the configured ping interval
    # and timeout
    for attr in ["_sock", "socket"]:
        if hasattr(ws, attr) and hasattr(getattr(ws, attr), "settimeout"):
            getattr(ws, attr).settimeout(self.server.ping_interval + self.server.ping_timeout)

    if self.connected:
        # the socket was already connected, so this is an upgrade
        self.upgrading = True  # hold packet sends during the upgrade

        pkt = websocket_wait()
        decoded_pkt = packet.Packet(encoded_packet=pkt)
        if decoded_pkt.packet_type != packet.PING or decoded_pkt.data != "probe":
            self.server.logger.info("%s: Failed websocket upgrade, no PING packet", self.sid)
            self.upgrading = False
            return []
        ws.send(packet.Packet(packet.PONG, data="probe").encode())
        self.queue.put(packet.Packet(packet.NOOP))  # end poll

        pkt = websocket_wait()
        decoded_pkt = packet.Packet(encoded_packet=pkt)
        if decoded_pkt.packet_type != packet.UPGRADE:
            self.upgraded = False
            self.server.logger.info(
                ("%s: Failed websocket upgrade, expected UPGRADE packet, received %s instead."),
                self.sid,
                pkt,
            )
            self.upgrading = False
            return []
        self.upgraded = True
        self.upgrading = False
    else:
        self.connected = True
        self.upgraded = True

    # instead of engineio's writer greenlet: packets go to the outbox from now on
    self.queue = Outbox(ws, _take_queued(self.queue))

    self.server.logger.info("%s: Upgrade to websocket successful", self.sid)

    if _detach(ws):
        # instead of reading on in this (deep) greenlet: a fresh one reads, this one ends
        eventlet.spawn_n(_read_detached, self, ws, websocket_wait)
    else:
        _read_loop(self, ws, websocket_wait)
    return []


def _read_detached(self, ws, websocket_wait) -> None:
    """The read loop in a greenlet of its own, then what eventlet's WebSocket and HTTP server
    did once the handler had returned: the closing frame, the close."""
    try:
        _read_loop(self, ws, websocket_wait)
    finally:
        _end(ws)


def _read_loop(self, ws, websocket_wait) -> None:
    """engineio's read loop and the end of the Engine.IO session."""
    while True:
        p = None
        try:
            p = websocket_wait()
        except Exception as e:
            # if the socket is already closed, we can assume this is a
            # downstream error of that
            if not self.closed:
                self.server.logger.info(
                    '%s: Unexpected error "%s", closing connection', self.sid, str(e)
                )
            break
        if p is None:
            # connection closed by client
            break
        pkt = packet.Packet(encoded_packet=p)
        try:
            self.receive(pkt)
        except exceptions.UnknownPacketError:
            pass
        except exceptions.SocketIsClosedError:
            self.server.logger.info("Receive error -- socket is closed")
            break
        except BaseException:  # engineio: a bare except
            # if we get an unexpected exception we log the error and exit
            # the connection properly
            self.server.logger.exception("Unknown receive error")
            break

    self.queue.put(None)  # close the WebSocket once what is queued is written
    self.queue.join()  # engineio: writer_task.join()
    self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)


def _no_closing_frame(ignore_send_errors=False, close_data=None) -> None:
    """Stands in for ``ws._send_closing_frame`` while the WebSocket outlives its handler."""


class _Detached:
    """How many WebSockets outlive their request. They no longer count in eventlet's pool of
    connections (``serving.MAX_CONNECTIONS``), so they have a cap of their own, the same:
    past it a WebSocket reads in its request's greenlet, as before."""

    count = 0


def _detach(ws) -> bool:
    """Let the handler return while the WebSocket lives on (False: at the cap, it does not):
    eventlet's ``WebSocketWSGI`` sends the closing frame when its handler returns (not now: an
    instance attribute hides the method until ``_end``), and the HTTP server closes the
    connection when its request ends (not now: ``serving.WEBSOCKET_DETACHED``, set on the
    connection, tells our protocol to leave it open)."""
    from .serving import MAX_CONNECTIONS, WEBSOCKET_DETACHED

    if _Detached.count >= MAX_CONNECTIONS:
        return False
    _Detached.count += 1
    ws._send_closing_frame = _no_closing_frame
    setattr(ws.socket, WEBSOCKET_DETACHED, True)
    return True


def _end(ws) -> None:
    """What eventlet did after the handler: send the closing frame, shut and close."""
    _Detached.count -= 1
    del ws._send_closing_frame
    try:
        ws._send_closing_frame(True)
    finally:
        greenio.shutdown_safe(ws.socket)
        ws.socket.close()


def install() -> None:
    """Use the outbox for every Engine.IO WebSocket of this (eventlet) process."""
    from importlib.metadata import version

    from engineio import socket as engineio_socket

    installed = version("python-engineio")
    if installed != ENGINEIO_VERSION:
        raise RuntimeError(
            f"support.lean_websocket copies python-engineio {ENGINEIO_VERSION}'s WebSocket "
            f"handler; {installed} is installed: compare the two and update it"
        )
    engineio_socket.Socket._websocket_handler = _websocket_handler
