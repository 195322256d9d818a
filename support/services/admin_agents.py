"""What admins do to agents beyond ``services.agents``: one-time invite links, deactivation
that also closes the agent's open sockets, and role changes that keep one admin."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select, update

from ..extensions import db, execute_dml
from ..models import Agent, SetupToken, utcnow
from . import agents, credentials
from .errors import Forbidden, InvalidPayload, NotFound

INVITE = credentials.INVITE
INVITE_DAYS = 7


_digest = credentials.digest


def create_invite(agent: Agent) -> str:
    """A one-time secret with which ``agent`` sets its own password. As the admin page says, it
    replaces everything before it: the old password is cleared, every session, socket and API
    token of the agent ends, and older links stop working. Only the hash is stored."""
    agent.password_hash = None
    credentials.end_everything(agent)  # voids the older links too
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
    agents.check_password(password)
    # Spent in the same transaction as the new password, and only if nobody spent it first.
    spent = execute_dml(
        update(SetupToken)
        .where(SetupToken.token_hash == _digest(plain), SetupToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if agent is None or spent.rowcount != 1:
        db.session.rollback()
        raise NotFound("this invite link has been used, has expired or is not valid")
    agents.set_password(agent, password)  # commits; voids the agent's other links too
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
    return agents.set_active(agent, active)
