"""The ``/agent`` namespace: events sent by the dashboard (session cookie) or a bot (API token)."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user
from flask_socketio import join_room
from socketio.exceptions import ConnectionRefusedError  # noqa: A004 (the one python-socketio sends to the client)

from ..serializers import conversation_dict, message_dict, visitor_detail_dict
from ..services import agents, canned, conversations, messages, receipts
from ..services.errors import Unauthorized
from ..services.presence import presence
from . import payloads
from .base import EventNamespace, origin_is_own


def _authenticate(auth):
    """An API token in ``auth``, or the dashboard's session cookie from our own origin only
    (a foreign page must not ride on an agent's cookie: cross-site WebSocket hijacking)."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if token:
        return agents.agent_for_token(token)
    if current_user.is_authenticated and origin_is_own():
        return agents.load_session_agent(current_user.get_id())
    return None


class AgentNamespace(EventNamespace):
    """Agents' sockets. Each event reloads the agent, so a deactivated agent is refused at once."""

    EVENTS = (
        "inbox:list",
        "conversation:open",
        "conversation:claim",
        "conversation:transfer",
        "conversation:close",
        "conversation:reopen",
        "message:send",
        "typing",
        "messages:read",
        "sync",
        "presence:set",
        "presence:list",
        "canned:list",
    )

    def __init__(self, namespace: str = "/agent"):
        super().__init__(namespace)

    def on_connect(self, auth=None):
        agent = _authenticate(auth)
        if agent is None:
            raise ConnectionRefusedError("sign in or give an API token", {"code": "unauthorized"})
        self.identities[request.sid] = agent.id
        join_room("agents")
        join_room(f"agent:{agent.id}")
        presence.connect(agent.id, agent.name, request.sid)

    def on_disconnect(self, reason=None):
        agent_id = self.identities.pop(request.sid, None)
        if agent_id is not None:
            grace = float(current_app.config["PRESENCE_GRACE_SECONDS"])
            self.socketio.start_background_task(self._leave_later, agent_id, request.sid, grace)

    def _leave_later(self, agent_id: str, sid: str, grace: float) -> None:
        """Going offline waits a moment, so a reloading dashboard does not flap presence."""
        self.socketio.sleep(grace)
        presence.disconnect(agent_id, sid)

    def _agent(self):
        agent_id = self.identities.get(request.sid)
        agent = agents.load_active(agent_id) if agent_id else None
        if agent is None:
            raise Unauthorized("this agent is not active")
        return agent

    def on_inbox_list(self, payload):
        data = payloads.InboxRequest.model_validate(payload)
        agent = self._agent()
        items = conversations.inbox(agent, data.view)
        return {
            "conversations": [conversation_dict(c, for_agents=True) for c in items],
            "counts": conversations.inbox_counts(agent),
        }

    def on_conversation_open(self, payload):
        data = payloads.ConversationRef.model_validate(payload)
        self._agent()
        conversation = conversations.get_conversation(data.conversation_id)
        join_room(f"watch:{conversation.id}")
        messages = conversations.messages_after(conversation, 0, include_private=True)
        history = conversations.visitor_history(conversation.visitor_id)
        return {
            "conversation": conversation_dict(conversation, for_agents=True),
            "messages": [message_dict(m) for m in messages],
            "visitor": visitor_detail_dict(conversation.visitor),
            "history": [conversation_dict(c, for_agents=True) for c in history],
        }

    def on_conversation_claim(self, payload):
        data = payloads.ConversationRef.model_validate(payload)
        conversation = conversations.claim(self._agent(), data.conversation_id)
        return {"conversation": conversation_dict(conversation, for_agents=True)}

    def on_conversation_transfer(self, payload):
        data = payloads.Transfer.model_validate(payload)
        conversation = conversations.transfer(self._agent(), data.conversation_id, data.agent_id)
        return {"conversation": conversation_dict(conversation, for_agents=True)}

    def on_conversation_close(self, payload):
        data = payloads.ConversationRef.model_validate(payload)
        conversation = conversations.close(self._agent(), data.conversation_id)
        return {"conversation": conversation_dict(conversation, for_agents=True)}

    def on_conversation_reopen(self, payload):
        data = payloads.ConversationRef.model_validate(payload)
        conversation = conversations.reopen(self._agent(), data.conversation_id)
        return {"conversation": conversation_dict(conversation, for_agents=True)}

    def on_message_send(self, payload):
        data = payloads.AgentMessage.model_validate(payload)
        posted = messages.send_agent_message(
            self._agent(), data.conversation_id, data.client_id, data.body, private=data.private
        )
        return {"message": posted.message}

    def on_typing(self, payload):
        data = payloads.AgentTyping.model_validate(payload)
        receipts.agent_typing(self._agent(), data.conversation_id, data.typing)
        return {}

    def on_messages_read(self, payload):
        data = payloads.AgentReadMark.model_validate(payload)
        receipts.mark_read_by_agent(self._agent(), data.conversation_id, data.seq)
        return {}

    def on_sync(self, payload):
        data = payloads.AgentSync.model_validate(payload)
        self._agent()
        conversation = conversations.get_conversation(data.conversation_id)
        messages = conversations.messages_after(conversation, data.after_seq, include_private=True)
        return {"messages": [message_dict(m) for m in messages]}

    def on_presence_set(self, payload):
        data = payloads.PresenceRequest.model_validate(payload)
        agent = self._agent()
        presence.set_status(agent.id, agent.name, data.status)
        return {}

    def on_presence_list(self, payload):
        payloads.Empty.model_validate(payload)
        self._agent()
        return {"agents": presence.snapshot()}

    def on_canned_list(self, payload):
        payloads.Empty.model_validate(payload)
        self._agent()
        return {"responses": [canned.response_dict(r) for r in canned.list_responses()]}
