"""What both namespaces share: event dispatch, acks in the ``{"ok": ...}`` shape, and errors that
leave the connection usable."""

from __future__ import annotations

import logging

from flask import request
from flask_socketio import Namespace
from pydantic import ValidationError

from ..extensions import db
from ..safe_json import MALFORMED_EVENT
from ..schemas.base import describe
from ..services.errors import InvalidPayload, ServiceError
from .gate import origins_seen

log = logging.getLogger(__name__)


def ok(**data) -> dict:
    return {"ok": True, **data}


def fail(code: str, message: str) -> dict:
    return {"ok": False, "error": {"code": code, "message": message}}


def request_origins() -> list[str]:
    """The connection's ``Origin`` values: its handshake's and those of every later request
    (``gate.SocketGate`` keeps them). Some clients send a second Origin header; the server
    then sees both, joined by a comma, and each must pass."""
    headers = [request.headers.get("Origin", ""), *origins_seen(request.environ)]
    return [o.strip().rstrip("/") for h in headers for o in h.split(",") if o.strip()]


class EventNamespace(Namespace):
    """Maps ``noun:verb`` events to ``on_noun_verb`` methods listed in ``EVENTS``, validates the
    payload's outer shape, and turns every failure into an error ack."""

    EVENTS: tuple[str, ...] = ()

    def __init__(self, namespace: str):
        super().__init__(namespace)
        # Who is behind each socket of this process: a visitor or agent id by socket id.
        self.identities: dict[str, str] = {}

    def _is_lifecycle(self, event, sid) -> bool:
        """True for the server's own connect/disconnect triggers. A client can also emit events
        named "connect" or "disconnect"; those arrive while the socket is fully connected (after
        sign-in, before the server's disconnect begins) and are unknown events like any other."""
        if event == "connect":
            return sid not in self.identities
        if event == "disconnect":
            return not self.server.manager.is_connected(sid, self.namespace)
        return False

    def trigger_event(self, event, sid, *args):
        if self._is_lifecycle(event, sid):
            return super().trigger_event(event, sid, *args)
        if event == MALFORMED_EVENT:
            return fail("invalid_payload", "the payload is not valid JSON or is nested too deeply")
        if event not in self.EVENTS:
            return fail("unknown_event", f"unknown event {str(event)[:64]!r}")
        handler = getattr(self, "on_" + event.replace(":", "_"))
        return self.socketio._handle_event(
            self._guarded(handler), event, self.namespace, sid, *args
        )

    def _guarded(self, handler):
        def run(*args):
            try:
                if len(args) > 1:
                    raise InvalidPayload("send one JSON object as the payload")
                payload = args[0] if args else {}
                if payload is None:
                    payload = {}
                if not isinstance(payload, dict):
                    raise InvalidPayload("the payload must be a JSON object")
                return ok(**handler(payload))
            except ValidationError as error:
                db.session.rollback()
                return fail("invalid_payload", describe(error))
            except ServiceError as error:
                db.session.rollback()
                return fail(error.code, error.message)
            except Exception:
                log.exception("event %s failed", request.event["message"])
                db.session.rollback()
                return fail("internal", "the server could not handle this event; it was logged")

        return run
