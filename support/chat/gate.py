"""A check in front of Engine.IO, for what the namespaces cannot see themselves.

- **JSONP polling is refused** (``?j=…``): it answers as a script, which any page may load with
  the agent's cookies and read, so it would hand a foreign page a session id to drive.
- **Every request's Origin is kept.** A namespace only sees the request that opened the
  Engine.IO session (the handshake). A page elsewhere can open the session without an Origin (a
  ``<script>`` tag) and send the namespace's connect packet later, with its own Origin; this
  remembers the Origin of every later request on the handshake's environ, where
  ``chat.base.request_origins`` finds it.
"""

from __future__ import annotations

from urllib.parse import parse_qs

ORIGINS_SEEN = "support.origins_seen"
MAX_ORIGINS = 8


class SocketGate:
    """WSGI middleware in front of Flask-SocketIO's own (``app.wsgi_app``)."""

    def __init__(self, wsgi_app, socketio, path: str = "/socket.io") -> None:
        self.wsgi_app = wsgi_app
        self.socketio = socketio  # the extension: its server is looked up per request
        self.path = path.rstrip("/")

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(self.path + "/"):
            query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            if "j" in query:
                start_response("400 Bad Request", [("Content-Type", "text/plain")])
                return [b"JSONP polling is not supported"]
            self._remember_origin(environ, query)
        return self.wsgi_app(environ, start_response)

    def _remember_origin(self, environ: dict, query: dict) -> None:
        """Add this request's Origin to those of its Engine.IO session (a later poll, the
        packet that connects a namespace, the WebSocket upgrade)."""
        origin = environ.get("HTTP_ORIGIN")
        sid = (query.get("sid") or [None])[0]
        server = getattr(self.socketio, "server", None)
        if not origin or not sid or server is None:
            return
        handshake = server.environ.get(sid)
        if handshake is None:
            return
        seen = handshake.setdefault(ORIGINS_SEEN, set())
        # Bounded: past a few, one more that can never be ours stands for the rest.
        seen.add(origin if len(seen) < MAX_ORIGINS else "null://too-many-origins")


def origins_seen(environ: dict) -> list[str]:
    """The Origins of the requests that followed the handshake of this connection."""
    return sorted(environ.get(ORIGINS_SEEN, ()))
