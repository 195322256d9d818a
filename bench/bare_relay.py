"""The baseline: a bare Flask-SocketIO relay on eventlet with the chat's events, no database.

``/visitor`` sockets connect with any ``auth.token`` (the token names the visitor), send
``message:send {client_id, body}`` and get ``{"ok": true, "message", "conversation"}`` back;
``/agent`` sockets join the ``agents`` room and receive ``message:new``, as with the real
server. Served the way ``support serve`` serves (eventlet WSGI, TCP_NODELAY, same Socket.IO
settings), so the difference to it is what storing a message costs.

    python bench/bare_relay.py --port 5099
"""

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import itertools  # noqa: E402
import socket  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

import eventlet.wsgi  # noqa: E402
from flask import Flask, request  # noqa: E402
from flask_socketio import Namespace, SocketIO, join_room  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(
    app,
    async_mode="eventlet",
    cors_allowed_origins="*",
    max_http_buffer_size=64 * 1024,
    ping_interval=20,
    ping_timeout=20,
)
visitors: dict[str, str] = {}
seqs: dict[str, itertools.count] = {}


def now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


class Visitors(Namespace):
    def on_connect(self, auth=None):
        token = (auth or {}).get("token")
        if not token:
            return False
        visitors[request.sid] = token
        join_room(f"visitor:{token}")

    def on_disconnect(self, reason=None):
        visitors.pop(request.sid, None)

    def on_message_send(self, payload):
        if not isinstance(payload, dict) or not isinstance(payload.get("body"), str):
            return {"ok": False, "error": {"code": "invalid_payload", "message": "body"}}
        visitor_id = visitors[request.sid]
        seq = next(seqs.setdefault(visitor_id, itertools.count(1)))
        conversation = {"id": visitor_id, "status": "open", "last_seq": seq}
        message = {
            "id": uuid.uuid4().hex,
            "conversation_id": visitor_id,
            "seq": seq,
            "client_id": payload.get("client_id"),
            "sender": {"type": "visitor", "id": visitor_id, "name": None},
            "body": payload["body"],
            "private": False,
            "created_at": now(),
        }
        socketio.emit("message:new", message, namespace="/agent", to="agents")
        socketio.emit("message:new", message, namespace="/visitor", to=f"visitor:{visitor_id}")
        return {"ok": True, "message": message, "conversation": conversation}

    def trigger_event(self, event, sid, *args):
        return super().trigger_event(event.replace(":", "_"), sid, *args)


class Agents(Namespace):
    def on_connect(self, auth=None):
        join_room("agents")


socketio.on_namespace(Visitors("/visitor"))
socketio.on_namespace(Agents("/agent"))


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=5099)
    args = parser.parse_args()
    listener = eventlet.listen(("127.0.0.1", args.port))
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    eventlet.wsgi.server(listener, app, log_output=False, max_size=20_000)
