"""Socket.IO namespaces and rooms, named once: the namespaces join sockets to these rooms and
``realtime`` emits to them.

- ``/visitor``: ``visitor:<visitor id>``, every socket (tab) of one visitor;
- ``/agent``: ``agents`` (every agent socket), ``agent:<agent id>`` (every socket of one agent),
  and ``watch:<conversation id>`` for sockets that opened a conversation.
"""

from __future__ import annotations

VISITOR_NS = "/visitor"
AGENT_NS = "/agent"
ALL_AGENTS = "agents"


def visitor_room(visitor_id: str) -> str:
    """Every socket of one visitor (in ``/visitor``)."""
    return f"visitor:{visitor_id}"


def agent_room(agent_id: str) -> str:
    """Every socket of one agent (in ``/agent``)."""
    return f"agent:{agent_id}"


def watch_room(conversation_id: str) -> str:
    """The agent sockets that opened a conversation (in ``/agent``)."""
    return f"watch:{conversation_id}"
