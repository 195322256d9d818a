"""Running the real server: the async framework's patching, the connection cap, the loop, and a
graceful stop.

On SIGTERM (or SIGINT) a process behind a load balancer must leave without losing anything:

1. it stops accepting connections (the listening socket closes, so the balancer and reconnecting
   clients go to another process at once);
2. it lets the events already being handled finish, so their acks still reach the clients;
3. it closes every Engine.IO connection at the transport level (not a Socket.IO "server
   disconnect", which would tell clients not to come back), so clients reconnect elsewhere and
   resync; events that raced in are finished too;
4. it takes its agents' connections out of the shared presence, publishes what it still has
   queued for the other processes (``support.message_queue``), and exits with status 0.

Each step is bounded by ``SUPPORT_SHUTDOWN_TIMEOUT`` seconds (default 20), so a stuck request
cannot keep a deploy waiting forever.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

log = logging.getLogger(__name__)

DEFAULT_SHUTDOWN_TIMEOUT = 20.0


def patch_for_serving() -> None:
    """eventlet (or gevent) must patch the standard library before Flask, the database drivers
    and the socket libraries are imported; then psycopg is told to wait the green way."""
    from .db_driver import make_psycopg_cooperative

    mode = os.environ.get("SUPPORT_ASYNC_MODE", "eventlet")
    if mode == "eventlet":
        import warnings

        with warnings.catch_warnings():
            # Chosen knowingly (README, "Performance": eventlet now, gevent the way out).
            warnings.simplefilter("ignore")
            import eventlet

        eventlet.monkey_patch()
    elif mode == "gevent":
        from gevent import monkey

        monkey.patch_all()
    make_psycopg_cooperative(mode)


MAX_CONNECTIONS = 20_000


def raise_connection_cap(wanted: int = MAX_CONNECTIONS) -> None:
    """eventlet's server stops at 1,024 connections by default (``run`` passes
    ``MAX_CONNECTIONS`` instead), and the process's open-file limit often sits at 1,024 too;
    raise it as far as the system allows."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = wanted + 100 if hard == resource.RLIM_INFINITY else min(hard, wanted + 100)
        if soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ImportError, ValueError, OSError):
        pass


def ping_on_timers() -> None:
    """eventlet: wait for each socket's next ping on a hub timer, not in a greenlet of its own.

    python-engineio parks one greenlet per connection asleep for the ping interval; under
    eventlet a parked greenlet keeps a copy of its C stack (about 8 KB), so 10,000 idle sockets
    pay 80 MB for sleeping. A hub timer is a small object in the hub's heap. What the timer runs
    is what engineio's greenlet ran after its sleep: mark the ping and queue the PING packet
    (an unbounded queue, so nothing here ever blocks the hub)."""
    from engineio import packet as engineio_packet
    from engineio import socket as engineio_socket
    from eventlet.hubs import get_hub

    def send_ping(sock) -> None:
        try:
            if not sock.closing and not sock.closed:
                sock.last_ping = time.time()
                sock.send(engineio_packet.Packet(engineio_packet.PING))
        except Exception:  # a timer must never take the hub down
            log.exception("could not ping %s", sock.sid)

    def schedule_ping(sock) -> None:
        if sock.last_ping:  # only after the previous ping was answered, as engineio does
            sock.last_ping = None
            get_hub().schedule_call_global(sock.server.ping_interval, send_ping, sock)

    engineio_socket.Socket.schedule_ping = schedule_ping


def freeze_startup_heap() -> None:
    """Keep the garbage collector off everything that lives as long as the process.

    Python's full collections walk every tracked object; after start-up that is the whole of
    Flask, SQLAlchemy, pydantic and the app's schemas, and each full collection stopped the
    event loop (every socket) for about 100 ms under load. ``gc.freeze`` moves what exists now
    to a generation the collector never scans; objects made later are collected as before."""
    import gc

    gc.collect()
    gc.freeze()


class InFlight:
    """Counts the Socket.IO handlers running right now, so a stopping process can wait for
    them."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    def __enter__(self) -> InFlight:
        with self._lock:
            self._count += 1
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._count -= 1

    @property
    def count(self) -> int:
        return self._count

    def wait_idle(self, deadline: float) -> bool:
        """Wait (cooperatively) until no handler runs; False when ``deadline`` passed first."""
        while self._count > 0:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True


inflight = InFlight()


def track_events(socketio) -> None:
    """Count every event handler: Flask-SocketIO runs each one (connect, disconnect and every
    namespace event) through ``SocketIO._handle_event``, so wrapping it there sees them all."""
    original = socketio._handle_event
    if getattr(original, "support_tracked", False):
        return

    def handle(*args, **kwargs):
        with inflight:
            return original(*args, **kwargs)

    handle.support_tracked = True  # type: ignore[attr-defined]  # a marker, read by getattr above
    socketio._handle_event = handle


class _StopFlag:
    """Set from a signal handler. A plain attribute: taking a lock inside a signal handler can
    deadlock against the code it interrupted."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._handle)

    def _handle(self, signum, _frame) -> None:
        self.signal = signum


def _websockets_stay_busy(app):
    """eventlet's WebSocket support marks its connection idle, and eventlet's server shuts idle
    connections the moment it stops accepting, which would cut a WebSocket mid-event. Here they
    stay "busy"; ``shut_down`` closes them itself once their events are done."""

    def wsgi(environ, start_response):
        environ["eventlet.set_idle"] = lambda: None
        return app(environ, start_response)

    return wsgi


def _without_nagle(listener):
    """Send small frames at once. An event often answers with two frames (a broadcast, then
    the ack); with Nagle's algorithm the second waits for the peer's delayed ACK, ~40 ms on
    Linux. Accepted connections inherit the option from the listener."""
    import socket

    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return listener


CONNECTION_BUFFER_BYTES = 2048


def _lean_http_protocol():
    """eventlet's HTTP handler with small per-connection buffers. eventlet gives every
    connection a 16 KB write buffer and an 8 KB read buffer for its whole life; a WebSocket
    reads and writes its socket directly once upgraded, so on an idle socket those 24 KB only
    hold memory. HTTP requests and responses still pass through buffered files (larger writes
    go straight through them), as eventlet requires."""
    import eventlet.wsgi

    class LeanHttpProtocol(eventlet.wsgi.HttpProtocol):
        wbufsize = CONNECTION_BUFFER_BYTES
        rbufsize = CONNECTION_BUFFER_BYTES

        def get_environ(self):
            upgrade = self.headers.get("Upgrade", "").lower() == "websocket"
            if upgrade:
                _drop_buffers_for_websocket(self)
            environ = super().get_environ()
            if upgrade:
                _drop_parsed_headers(self, environ)
            return environ

        def finish(self):
            if getattr(self.connection, WEBSOCKET_DETACHED, False):
                _leave_connection_open(self)
            else:
                super().finish()

    return LeanHttpProtocol


WEBSOCKET_DETACHED = "support_websocket_detached"  # an attribute set on the connection


class _HandedOver:
    """Stands in for a connection eventlet's server must no longer shut or close."""

    def shutdown(self, *_args) -> None:
        pass

    def close(self) -> None:
        pass


def _leave_connection_open(protocol) -> None:
    """A WebSocket that outlives its request (``lean_websocket``: its reads go on in a greenlet
    of its own, which closes the connection at its end): end the request, not the connection.
    eventlet's server closes ``conn_state[1]`` when the request's greenlet ends."""
    import http.server

    try:
        http.server.BaseHTTPRequestHandler.finish(protocol)  # its HTTP files, not the socket
    except OSError:
        pass
    protocol.conn_state[1] = _HandedOver()


UPGRADE_WRITE_BUFFER_BYTES = 256


def _drop_buffers_for_websocket(protocol) -> None:
    """A WebSocket upgrade is the last request of its connection: eventlet's WebSocket reads
    and writes the raw socket from the handshake on, and the connection closes when it ends.
    Its HTTP buffers would only hold 4 KB for the socket's whole life, so the request line and
    headers (already read) are the last thing read through them. What is left: no read buffer
    (the upgrade has no body) and a small write buffer for a refused upgrade's answer, which
    goes straight through it; a refused upgrade now closes the connection too."""
    connection = protocol.connection
    old_read, old_write = protocol.rfile, protocol.wfile
    protocol.rfile = connection.makefile("rb", 0)
    protocol.wfile = connection.makefile("wb", UPGRADE_WRITE_BUFFER_BYTES)
    protocol.close_connection = 1
    old_write.close()  # nothing was written to it yet
    old_read.close()


class _HeadersLeft:
    """The request headers eventlet still reads once the environ is built (``Connection``
    for the response, ``X-Forwarded-For`` for its access log), by lower-cased name."""

    __slots__ = ("_values",)
    KEPT = ("connection", "x-forwarded-for")

    def __init__(self, headers) -> None:
        self._values = {name: headers.get(name) for name in self.KEPT if name in headers}

    def get(self, name: str, default=None):
        return self._values.get(name.lower(), default)


def _drop_parsed_headers(protocol, environ: dict) -> None:
    """A WebSocket keeps its request for its whole life; its headers are in the environ
    (``HTTP_*``), so the parsed message and eventlet's raw copy (``headers_raw``, which nothing
    reads) would be two more copies per socket."""
    environ.pop("headers_raw", None)
    protocol.headers = _HeadersLeft(protocol.headers)


class _EventletServer:
    def __init__(self, app, host: str, port: int) -> None:
        import eventlet
        import eventlet.wsgi

        self._eventlet = eventlet
        self._sock = _without_nagle(eventlet.listen((host, port)))
        self._thread = eventlet.spawn(
            eventlet.wsgi.server,
            self._sock,
            _websockets_stay_busy(app),
            log_output=False,
            log=logging.getLogger("eventlet.wsgi"),  # through logging, so made safe too
            protocol=_lean_http_protocol(),
            max_size=MAX_CONNECTIONS,  # the default (1,024) is bound at definition time
        )

    def running(self) -> bool:
        return not self._thread.dead

    def stop_accepting(self) -> None:
        # The accept loop ends on SystemExit and then waits for its connections; closing the
        # listener now (not after that wait) makes new connections fail fast.
        self._thread.kill(SystemExit)
        try:
            self._sock.close()
        except OSError:
            pass

    def wait_stopped(self, timeout: float) -> None:
        with self._eventlet.Timeout(max(timeout, 0.01), False):
            self._thread.wait()


def _gevent_handler_class():
    """gevent's WSGI handler, closing the connection once a WebSocket session ends.

    WebSocket comes from simple-websocket (engineio's gevent driver) on a duplicate of the
    connection's socket; without this, the handler would read the rest of the WebSocket stream
    as if it were the next HTTP request on a kept-alive connection."""
    from gevent import pywsgi

    class Handler(pywsgi.WSGIHandler):
        def run_application(self):
            websocket = self.environ.get("HTTP_UPGRADE", "").lower() == "websocket"
            try:
                super().run_application()
            finally:
                if websocket:
                    self.close_connection = True

    return Handler


class _GeventServer:
    def __init__(self, app, host: str, port: int) -> None:
        from gevent import pywsgi
        from gevent.server import _tcp_listener

        listener = _without_nagle(_tcp_listener((host, port), reuse_addr=True))
        self._server = pywsgi.WSGIServer(
            listener, app, log=None, handler_class=_gevent_handler_class()
        )
        self._server.start()

    def running(self) -> bool:
        return self._server.started

    def stop_accepting(self) -> None:
        self._server.close()

    def wait_stopped(self, timeout: float) -> None:
        self._server.stop(timeout=max(timeout, 0.01))


def run(app, host: str, port: int) -> None:
    """Serve ``app`` until stopped; on SIGTERM/SIGINT, stop gracefully (see the module doc)."""
    from .extensions import socketio

    raise_connection_cap(2 * MAX_CONNECTIONS)  # and as many WebSockets (lean_websocket)
    mode = socketio.async_mode
    if mode not in ("eventlet", "gevent"):
        socketio.run(app, host=host, port=port, log_output=False, allow_unsafe_werkzeug=True)
        return
    track_events(socketio)
    if mode == "eventlet":
        from . import lean_websocket  # imports eventlet and engineio: only once patched

        ping_on_timers()
        lean_websocket.install()
    freeze_startup_heap()
    stop = _StopFlag()
    stop.install()
    server_class = _EventletServer if mode == "eventlet" else _GeventServer
    server = server_class(app, host, port)
    log.info("serving on %s:%s (%s)", host, port, mode)
    while stop.signal is None and server.running():
        time.sleep(0.2)
    if stop.signal is not None:
        timeout = float(app.config.get("SHUTDOWN_TIMEOUT") or DEFAULT_SHUTDOWN_TIMEOUT)
        shut_down(socketio, server, timeout, signal.Signals(stop.signal).name)


def shut_down(socketio, server, timeout: float, reason: str) -> None:
    """The graceful stop: no new connections, in-flight events finished, clients sent away."""
    deadline = time.monotonic() + timeout
    eio = socketio.server.eio
    log.info(
        "%s: stopping; %d connections, %d events in flight",
        reason,
        len(eio.sockets),
        inflight.count,
    )
    server.stop_accepting()
    if not inflight.wait_idle(deadline):
        log.warning("events still running after %.0fs; closing connections anyway", timeout)
    _close_transports(eio)
    inflight.wait_idle(deadline)
    _leave_presence()
    _flush_message_queue(socketio, deadline)
    server.wait_stopped(deadline - time.monotonic())
    log.info("%s: stopped", reason)


def _close_transports(eio) -> None:
    """Drop every Engine.IO connection without a goodbye (neither a Socket.IO disconnect nor an
    Engine.IO close packet, which tell some clients not to come back), so clients see a lost
    transport and reconnect, through the balancer, to another process. ``wait=False``: a
    long-polling client that never polls again must not hold the stop."""
    for client in list(eio.sockets.values()):
        try:
            client.close(wait=False, abort=True, reason=eio.reason.SERVER_DISCONNECT)
        except Exception:  # a half-closed socket must not stop the others from closing
            log.exception("could not close a connection")
    eio.sockets.clear()


def _flush_message_queue(socketio, deadline: float) -> None:
    """Publish what is still queued for the other processes (``support.message_queue``: emits
    leave for Redis from a queue), including the presence change just made."""
    flush = getattr(socketio.server.manager, "flush", None)
    if flush is not None and not flush(max(deadline - time.monotonic(), 0.5)):
        log.warning("some Socket.IO messages for the other processes were not published")


def _leave_presence() -> None:
    """Agents connected here are no longer here: update the shared presence now rather than
    when this process's heartbeat expires."""
    from .services.presence import presence

    try:
        presence.release_process()
    except Exception:
        log.exception("could not release this process's presence")
