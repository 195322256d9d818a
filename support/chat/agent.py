"""The ``/agent`` namespace: events sent by the dashboard (session cookie) or a bot (API token)."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user
from flask_socketio import join_room
from flask_wtf.csrf import ValidationError, validate_csrf
from socketio.exceptions import ConnectionRefusedError  # noqa: A004 (the one python-socketio sends to the client)

from ..origins import only_own
from ..rooms import AGENT_NS, ALL_AGENTS, agent_room, watch_room
from ..schemas import sockets
from ..serializers import canned_response_dict, message_dict, visitor_detail_dict
from ..services import (
    agents,
    canned,
    conversations,
    credentials,
    inbox,
    messages,
    receipts,
    routing,
)
from ..services.activity import activity_dict, activity_of
from ..services.agent_sockets import agent_sockets
from ..services.errors import ServiceError, Unauthorized
from ..services.presence import presence
from ..services.search import Search, search_conversations
from .base import EventNamespace, request_origins


def _csrf_token_valid(auth) -> bool:
    """The page's CSRF token (Flask-WTF's, checked against the session) is in ``auth``: only a
    page of ours can read it, so a foreign page cannot ride on an agent's cookie. Tokens last
    as long as the session (``WTF_CSRF_TIME_LIMIT`` is None), for a dashboard open all shift."""
    token = auth.get("csrf_token") if isinstance(auth, dict) else None
    if not isinstance(token, str) or not token or len(token) > 200:
        return False
    try:
        validate_csrf(token)
    except ValidationError:
        return False
    return True


def _authenticate(auth):
    """``(agent, credential)`` for an API token in ``auth``, or for the dashboard's session
    cookie together with the page's CSRF token and no foreign Origin (cross-site WebSocket
    hijacking); None otherwise."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if token:
        return credentials.token_credential(token)
    if current_user.is_authenticated and only_own(request_origins()) and _csrf_token_valid(auth):
        agent = current_user._get_current_object()
        return agent, credentials.session_credential(agent)
    return None


SEARCH_PAGE = 50


class AgentNamespace(EventNamespace):
    """Agents' sockets. Each event checks again that the socket's credential (a session version
    or an API token) still holds and the agent is active, so a withdrawal is refused at once."""

    EVENTS = (
        "inbox:list",
        "inbox:search",
        "conversation:open",
        "conversation:claim",
        "conversation:transfer",
        "conversation:close",
        "conversation:reopen",
        "message:send",
        "typing",
        "conversation:viewing",
        "messages:read",
        "sync",
        "presence:set",
        "presence:list",
        "canned:list",
    )

    def __init__(self, namespace: str = AGENT_NS):
        super().__init__(namespace)
        # The credential each socket of this process was opened with (``services.credentials``).
        self.credentials: dict[str, str] = {}
        self.viewing: dict[str, str] = {}  # socket id -> the conversation it shows

    def on_connect(self, auth=None):
        found = _authenticate(auth)
        # Read before the second look, which ends the transaction: nothing waits on the
        # database between that look and the socket's joining its rooms.
        agent_id, name = (found[0].id, found[0].name) if found else (None, None)
        if found is None or not self._register(agent_id, found[1]):
            raise ConnectionRefusedError("sign in or give an API token", {"code": "unauthorized"})
        self.identities[request.sid] = agent_id
        self.credentials[request.sid] = found[1]
        join_room(ALL_AGENTS)
        join_room(agent_room(agent_id))
        presence.connect(agent_id, name, request.sid)
        routing.route_safely()  # an agent with room may take waiting conversations

    def _register(self, agent_id: str, credential: str) -> bool:
        """Record which credential opened this socket, then look again: a withdrawal committed
        meanwhile is seen either by this second look or by the withdrawal's own search for
        the sockets to close."""
        agent_sockets.add(agent_id, request.sid, credential)  # type: ignore[attr-defined]  # set by Flask-SocketIO
        if credentials.recheck(agent_id, credential):
            return True
        agent_sockets.remove(agent_id, request.sid)  # type: ignore[attr-defined]  # set by Flask-SocketIO
        return False

    def on_disconnect(self, reason=None):
        agent_id = self.identities.pop(request.sid, None)
        self.credentials.pop(request.sid, None)
        self._stop_viewing(request.sid, agent_id)
        if agent_id is not None:
            agent_sockets.remove(agent_id, request.sid)
            grace = float(current_app.config["PRESENCE_GRACE_SECONDS"])
            self.socketio.start_background_task(self._leave_later, agent_id, request.sid, grace)

    def _leave_later(self, agent_id: str, sid: str, grace: float) -> None:
        """Going offline waits a moment, so a reloading dashboard does not flap presence."""
        self.socketio.sleep(grace)
        presence.disconnect(agent_id, sid)

    def _agent(self):
        """The agent behind this socket, while the credential it connected with still holds."""
        agent_id = self.identities.get(request.sid)
        credential = self.credentials.get(request.sid)
        agent = credentials.agent_for_credential(agent_id, credential) if credential else None
        if agent is None:
            raise Unauthorized("this socket's credentials were withdrawn; connect again")
        return agent

    def on_inbox_list(self, payload):
        data = sockets.InboxRequest.model_validate(payload)
        agent = self._agent()
        items, total = inbox.inbox_page(agent, data.view, data.page)
        return {
            "conversations": inbox.agent_views(agent, items),
            "counts": conversations.inbox_counts(agent),
            "total": total,
            "page": data.page,
        }

    def on_inbox_search(self, payload):
        """The dashboard's search box: every conversation, with the API's ``q``."""
        data = sockets.InboxSearch.model_validate(payload)
        agent = self._agent()
        search = Search(
            q=data.q, status=data.status, page=data.page, per_page=SEARCH_PAGE, sort="updated"
        )
        items, total = search_conversations(search, agent)
        return {
            "conversations": inbox.agent_views(agent, items),
            "total": total,
            "page": data.page,
        }

    def on_conversation_open(self, payload):
        data = sockets.ConversationRef.model_validate(payload)
        agent = self._agent()
        conversation = conversations.get_conversation(data.conversation_id)
        join_room(watch_room(conversation.id))
        messages = conversations.messages_after(conversation, 0, include_private=True)
        history = conversations.visitor_history(conversation.visitor_id)
        return {
            "conversation": inbox.agent_view(agent, conversation),
            "messages": [message_dict(m) for m in messages],
            "visitor": visitor_detail_dict(conversation.visitor),
            "history": inbox.agent_views(agent, history),
            "activity": [activity_dict(a) for a in activity_of(conversation.id)],
        }

    def on_conversation_claim(self, payload):
        data = sockets.ConversationRef.model_validate(payload)
        agent = self._agent()
        conversation = conversations.claim(agent, data.conversation_id)
        return {"conversation": inbox.agent_view(agent, conversation)}

    def on_conversation_transfer(self, payload):
        data = sockets.Transfer.model_validate(payload)
        agent = self._agent()
        conversation = conversations.transfer(agent, data.conversation_id, data.agent_id, data.note)
        return {"conversation": inbox.agent_view(agent, conversation)}

    def on_conversation_close(self, payload):
        data = sockets.ConversationRef.model_validate(payload)
        agent = self._agent()
        conversation = conversations.close(agent, data.conversation_id)
        answer = {"conversation": inbox.agent_view(agent, conversation)}
        routing.route_safely()  # the closed one freed a place
        return answer

    def on_conversation_reopen(self, payload):
        data = sockets.ConversationRef.model_validate(payload)
        agent = self._agent()
        conversation = conversations.reopen(agent, data.conversation_id)
        return {"conversation": inbox.agent_view(agent, conversation)}

    def on_message_send(self, payload):
        data = sockets.AgentMessage.model_validate(payload)
        posted = messages.send_agent_message(
            self._agent(),
            data.conversation_id,
            data.client_id,
            data.body,
            private=data.private,
            attachment_ids=data.attachment_ids,
        )
        return {"message": posted.message}

    def on_typing(self, payload):
        data = sockets.AgentTyping.model_validate(payload)
        receipts.agent_typing(self._agent(), data.conversation_id, data.typing)
        return {}

    def on_conversation_viewing(self, payload):
        """The dashboard has the conversation on screen (repeated), or left it. This process
        remembers which, so a closed tab is announced as gone at once."""
        data = sockets.AgentViewing.model_validate(payload)
        receipts.agent_viewing(self._agent(), data.conversation_id, data.viewing)
        if data.viewing:
            self.viewing[request.sid] = data.conversation_id
        elif self.viewing.get(request.sid) == data.conversation_id:
            del self.viewing[request.sid]
        return {}

    def _stop_viewing(self, sid: str, agent_id: str | None) -> None:
        conversation_id = self.viewing.pop(sid, None)
        agent = agents.load_active(agent_id) if agent_id and conversation_id else None
        if agent is None or conversation_id is None:
            return
        try:
            receipts.agent_viewing(agent, conversation_id, False)
        except ServiceError:  # the conversation was deleted meanwhile
            pass

    def on_messages_read(self, payload):
        data = sockets.AgentReadMark.model_validate(payload)
        receipts.mark_read_by_agent(self._agent(), data.conversation_id, data.seq)
        return {}

    def on_sync(self, payload):
        data = sockets.AgentSync.model_validate(payload)
        self._agent()
        conversation = conversations.get_conversation(data.conversation_id)
        messages = conversations.messages_after(conversation, data.after_seq, include_private=True)
        return {"messages": [message_dict(m) for m in messages]}

    def on_presence_set(self, payload):
        data = sockets.PresenceRequest.model_validate(payload)
        agent = self._agent()
        presence.set_status(agent.id, agent.name, data.status)
        if data.status == "online":
            routing.route_safely()
        return {}

    def on_presence_list(self, payload):
        sockets.Empty.model_validate(payload)
        self._agent()
        return {"agents": presence.snapshot()}

    def on_canned_list(self, payload):
        sockets.Empty.model_validate(payload)
        self._agent()
        return {"responses": [canned_response_dict(r) for r in canned.list_responses()]}
