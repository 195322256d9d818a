"""Who is online: an agent is online while one of its connections is open and it has not set
itself away. Kept in this process's memory; announced as events so the dashboards and the
widget's availability follow."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .. import events


@dataclass
class _AgentPresence:
    name: str
    connections: set[str] = field(default_factory=set)
    away: bool = False

    @property
    def status(self) -> str:
        if not self.connections:
            return "offline"
        return "away" if self.away else "online"


class PresenceBoard:
    """Connections and away flags per agent, with the announcements that follow changes."""

    def __init__(self) -> None:
        self._agents: dict[str, _AgentPresence] = {}
        self._lock = threading.Lock()

    def connect(self, agent_id: str, name: str, connection_id: str) -> None:
        self._change(agent_id, name, lambda p: p.connections.add(connection_id))

    def disconnect(self, agent_id: str, connection_id: str) -> None:
        self._change(agent_id, None, lambda p: p.connections.discard(connection_id))

    def set_status(self, agent_id: str, name: str, status: str) -> None:
        self._change(agent_id, name, lambda p: setattr(p, "away", status == "away"))

    def has_connections(self, agent_id: str) -> bool:
        presence = self._agents.get(agent_id)
        return bool(presence and presence.connections)

    def status_of(self, agent_id: str) -> str:
        presence = self._agents.get(agent_id)
        return presence.status if presence else "offline"

    def anyone_online(self) -> bool:
        return any(p.status == "online" for p in self._agents.values())

    def online_agent_ids(self) -> list[str]:
        return [agent_id for agent_id, p in self._agents.items() if p.status == "online"]

    def snapshot(self) -> list[dict]:
        return [
            {"agent_id": agent_id, "name": p.name, "status": p.status}
            for agent_id, p in self._agents.items()
        ]

    def reset(self) -> None:
        with self._lock:
            self._agents.clear()

    def _change(self, agent_id: str, name: str | None, mutate) -> None:
        with self._lock:
            was_anyone = self.anyone_online()
            presence = self._agents.setdefault(agent_id, _AgentPresence(name or ""))
            if name:
                presence.name = name
            before = presence.status
            mutate(presence)
            after = presence.status
            now_anyone = self.anyone_online()
        if before != after:
            events.announce("presence", agent_id=agent_id, name=presence.name, status=after)
        if was_anyone != now_anyone:
            events.announce("availability", online=now_anyone)


presence = PresenceBoard()
