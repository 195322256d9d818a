"""What admins do to agents beyond ``services.agents``: one-time invite links, deactivation
that also closes the agent's open sockets, and role changes that keep one admin."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func, select

from .. import events
from ..extensions import db
from ..models import Agent, SetupToken, utcnow
from . import agents
from .errors import Forbidden, InvalidPayload, NotFound

INVITE = "invite"
INVITE_DAYS = 7


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invite(agent: Agent) -> str:
    """A one-time secret with which ``agent`` sets its own password; older links of the agent
    stop working. Only the hash is stored."""
    db.session.execute(
        SetupToken.__table__.update()
        .where(
            SetupToken.agent_id == agent.id,
            SetupToken.purpose == INVITE,
            SetupToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    plain = secrets.token_urlsafe(24)
    db.session.add(SetupToken(token_hash=_digest(plain), purpose=INVITE, agent_id=agent.id))
    db.session.commit()
    return plain


def invited_agent(plain: str) -> Agent | None:
    """The active agent a still-valid invite belongs to, or None."""
    if not isinstance(plain, str) or not plain or len(plain) > 100:
        return None
    row = db.session.get(SetupToken, _digest(plain))
    if row is None or row.purpose != INVITE or row.used_at is not None or row.agent_id is None:
        return None
    if row.created_at < utcnow() - timedelta(days=INVITE_DAYS):
        return None
    agent = db.session.get(Agent, row.agent_id)
    return agent if agent is not None and agent.active else None


def accept_invite(plain: str, password: str) -> Agent:
    """Spend an invite on the agent's first password."""
    agent = invited_agent(plain)
    if agent is None:
        raise NotFound("this invite link has been used, has expired or is not valid")
    row = db.session.get(SetupToken, _digest(plain))
    agents.set_password(agent, password)  # validates and commits
    row.used_at = utcnow()
    db.session.commit()
    return agent


def _other_active_admins(agent: Agent) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Agent)
            .where(Agent.is_admin.is_(True), Agent.active.is_(True), Agent.id != agent.id)
        )
        or 0
    )


def change_agent(agent: Agent, *, name: str | None = None, is_admin: bool | None = None) -> Agent:
    """Rename an agent or change its role; the last active admin keeps its rights."""
    if is_admin is False and agent.is_admin and _other_active_admins(agent) == 0:
        raise Forbidden("the last admin cannot lose admin rights")
    return agents.update_agent(agent, name=name, is_admin=is_admin)


def set_agent_active(agent: Agent, active: bool) -> Agent:
    """Deactivate (ending every session and open socket of the agent) or reactivate. The last
    active admin stays active, so someone can always manage the team."""
    if not isinstance(active, bool):
        raise InvalidPayload("active must be true or false")
    if not active and agent.is_admin and _other_active_admins(agent) == 0:
        raise Forbidden("the last admin cannot be deactivated")
    if not active and agent.active:
        events.record(db.session, "agent_deactivated", agent_id=agent.id)
    return agents.set_active(agent, active)  # commits, which publishes the event
