"""The ``/visitor`` namespace: events sent by the widget on behalf of one visitor."""

from __future__ import annotations

from flask import current_app, request
from flask_socketio import join_room
from socketio.exceptions import ConnectionRefusedError  # noqa: A004 (the one python-socketio sends to the client)

from ..origins import all_allowed
from ..rooms import VISITOR_NS, visitor_room
from ..schemas import sockets
from ..schemas.base import VisitorProfile
from ..serializers import conversation_dict, message_dict, public_conversation, visitor_dict
from ..services import conversations, mail, messages, receipts, routing, visitors
from ..services.errors import Unauthorized
from ..services.visitor_budget import spend_event, typing_coalescer
from .base import EventNamespace, request_origins


class VisitorNamespace(EventNamespace):
    """One socket per widget tab. The visitor is known from its signed token; a conversation id
    is never taken from a visitor."""

    EVENTS = (
        "conversation:get",
        "message:send",
        "typing",
        "messages:read",
        "sync",
        "visitor:update",
        "conversation:rate",
        "transcript:email",
    )

    def __init__(self, namespace: str = VISITOR_NS):
        super().__init__(namespace)

    def on_connect(self, auth=None):
        """The widget connects with ``auth = {"token": ...}``."""
        token = auth.get("token") if isinstance(auth, dict) else None
        visitor = visitors.visitor_for_token(token, current_app.secret_key)
        if visitor is None:
            raise ConnectionRefusedError(
                "a valid visitor token is required", {"code": "unauthorized"}
            )
        if not all_allowed(request_origins()):  # the widget's frame, or an allowed site
            raise ConnectionRefusedError(
                "this origin may not use the widget", {"code": "forbidden"}
            )
        self.identities[request.sid] = visitor.id
        join_room(visitor_room(visitor.id))
        visitors.touch(visitor)

    def on_disconnect(self, reason=None):
        self.identities.pop(request.sid, None)

    def _visitor_id(self) -> str:
        visitor_id = self.identities.get(request.sid)  # type: ignore[attr-defined]  # set by Flask-SocketIO
        if visitor_id is None:
            raise Unauthorized("this visitor no longer exists")
        return visitor_id

    def _visitor(self):
        visitor = visitors.visitor_by_id(self._visitor_id())
        if visitor is None:
            raise Unauthorized("this visitor no longer exists")
        return visitor

    def _spend(self) -> None:
        """One event of this visitor's budget (Guarantee 7), counted after validation."""
        spend_event(self.identities.get(request.sid) or "unknown", request.event["message"])  # type: ignore[attr-defined]  # set by Flask-SocketIO

    def on_conversation_get(self, payload):
        sockets.Empty.model_validate(payload)
        self._spend()
        conversation = conversations.current_conversation(self._visitor())
        if conversation is None:
            return {"conversation": None, "messages": []}
        messages = conversations.messages_after(conversation, 0, include_private=False)
        return {
            "conversation": conversation_dict(conversation),
            "messages": [message_dict(m) for m in messages],
            "queue": {"position": routing.queue_position(conversation)},
        }

    def on_message_send(self, payload):
        """The hot path: the visitor's id (known since connect) is all it needs; the message's
        transaction refuses a visitor erased since."""
        data = sockets.VisitorMessage.model_validate(payload)
        posted = messages.send_visitor_message(
            self._visitor_id(), data.client_id, data.body, data.attachment_ids
        )
        conversation = public_conversation(posted.conversation)
        if posted.message["seq"] == 1 and routing.is_auto():  # it opened the conversation
            routed = routing.route_new_conversation(conversation["id"])
            if routed is not None:  # None: deleted in the meantime
                conversation = conversation_dict(routed)
        return {"message": posted.message, "conversation": conversation}

    def on_typing(self, payload):
        data = sockets.Typing.model_validate(payload)
        if typing_coalescer.worth_announcing(self.identities.get(request.sid), data.typing):
            receipts.visitor_typing(self._visitor(), data.typing)
        return {}

    def on_messages_read(self, payload):
        data = sockets.ReadMark.model_validate(payload)
        self._spend()
        receipts.mark_read_by_visitor(self._visitor(), data.seq)
        return {}

    def on_sync(self, payload):
        data = sockets.SyncRequest.model_validate(payload)
        self._spend()
        conversation = conversations.current_conversation(self._visitor())
        if conversation is None:
            return {"messages": []}
        messages = conversations.messages_after(conversation, data.after_seq, include_private=False)
        return {"messages": [message_dict(m) for m in messages]}

    def on_visitor_update(self, payload):
        data = VisitorProfile.model_validate(payload)
        self._spend()
        visitor = visitors.update_visitor(
            self._visitor(),
            data.model_dump(exclude_unset=True),
            identity_secret=current_app.config.get("IDENTITY_SECRET"),
        )
        return {"visitor": visitor_dict(visitor)}

    def on_conversation_rate(self, payload):
        data = sockets.Rating.model_validate(payload)
        self._spend()
        conversation = conversations.rate(self._visitor(), data.rating, data.comment)
        return {"conversation": conversation_dict(conversation)}

    def on_transcript_email(self, payload):
        """ "Email me this conversation": the current conversation's public transcript."""
        data = sockets.TranscriptRequest.model_validate(payload)
        visitor = self._visitor()
        mail.request_transcript(visitor, conversations.current_conversation(visitor), data.email)
        return {}
