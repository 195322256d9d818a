"""Agents, their passwords, API tokens and the one-time first-admin link."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import Agent, ApiToken, SetupToken, by_id, utcnow
from ..ratelimit import limiter
from . import credentials
from .errors import Conflict, InvalidPayload, NotFound, RateLimited, Unauthorized

MIN_PASSWORD_LENGTH = 8

# Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


_digest = credentials.digest


def _storable(text) -> bool:
    """Text a database can hold and compare: no NUL, no lone surrogates."""
    if not isinstance(text, str) or "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively."""
    return email.strip().lower()


def create_agent(email: str, name: str, password: str | None, *, is_admin: bool = False) -> Agent:
    """Add an agent. ``password`` may be None for an agent who will set one through an invite."""
    email = normalise_email(email)
    name = name.strip()
    if "@" not in email or len(email) > 254:
        raise InvalidPayload("email must be an email address")
    if not name or len(name) > 100:
        raise InvalidPayload("name must be 1-100 characters")
    if find_by_email(email) is not None:
        raise Conflict(f"an agent with email {email} already exists")
    agent = Agent(email=email, name=name, is_admin=is_admin)
    if password is not None:
        _set_password(agent, password)
    db.session.add(agent)
    db.session.commit()
    return agent


def check_password(password: str) -> None:
    """Refuse a password too short to keep."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidPayload(f"password must be at least {MIN_PASSWORD_LENGTH} characters")


def _set_password(agent: Agent, password: str) -> None:
    check_password(password)
    agent.password_hash = generate_password_hash(password)


def set_password(agent: Agent, password: str) -> None:
    """Change a password: every session, socket, API token and outstanding invite link of the
    agent ends with the old one."""
    _set_password(agent, password)
    credentials.end_everything(agent)
    db.session.commit()


def sign_out(agent: Agent) -> None:
    """End every session of the agent, so that a copy of its cookie stops working too, and
    close the dashboard sockets they opened. API tokens stay valid."""
    credentials.end_sessions(agent)
    db.session.commit()


def find_by_email(email: str) -> Agent | None:
    if not _storable(email):
        return None
    return db.session.scalar(select(Agent).where(Agent.email == normalise_email(email)))


def get_agent(agent_id: str) -> Agent:
    agent = by_id(Agent, agent_id)
    if agent is None:
        raise NotFound("no such agent")
    return agent


def list_agents() -> list[Agent]:
    return list(db.session.scalars(select(Agent).order_by(Agent.name)))


def count_agents() -> int:
    return db.session.scalar(select(func.count()).select_from(Agent)) or 0


def authenticate(email: str, password: str) -> Agent | None:
    """The active agent with these credentials, or None."""
    agent = find_by_email(email)
    if not _storable(password):
        password = ""
    if agent is None or not agent.password_hash:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(agent.password_hash, password or ""):
        return None
    return agent if agent.active else None


def sign_in(email: str, password: str, address: str) -> Agent:
    """Check credentials for the dashboard and ``/api/v1/auth/token``, throttled against
    password guessing: failures count per address and per account from that address
    (``LIMIT_LOGIN``), and once either is spent every attempt from there is refused, the right
    password too, until the window moves on. The account's count is kept per address so that a
    stranger guessing elsewhere cannot lock the agent out. Successful sign-ins count nothing,
    so busy teams and scripts are never locked out."""
    keys = [f"ip:{address}", f"account:{_digest(normalise_email(email))}:{address}"]
    if any(limiter.spent("login", key) for key in keys):
        raise RateLimited("too many failed sign-in attempts; wait a minute and try again")
    agent = authenticate(email, password)
    if agent is None:
        for key in keys:
            limiter.allow("login", key)
        raise Unauthorized("wrong email or password")
    return agent


def load_session_agent(session_id: str) -> Agent | None:
    """Flask-Login's loader: ``agent_id:session_version``, so bumped versions are signed out."""
    agent_id, _, version = (session_id or "").partition(":")
    agent = by_id(Agent, agent_id)
    if agent is None or not agent.active or str(agent.session_version) != version:
        return None
    return agent


def issue_api_token(agent: Agent, label: str = "") -> str:
    """Create a bearer token for ``agent``; the plain token is returned once and never stored."""
    plain = "sup_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(agent_id=agent.id, label=label[:100], token_hash=_digest(plain)))
    db.session.commit()
    return plain


def agent_for_token(token: str) -> Agent | None:
    """The active agent a bearer token belongs to, or None when unknown or revoked."""
    found = credentials.token_credential(token)
    return found[0] if found else None


def list_tokens(agent: Agent) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.agent_id == agent.id).order_by(ApiToken.created_at)
        )
    )


def revoke_token(agent: Agent, token_id: str) -> None:
    row = by_id(ApiToken, token_id)
    if row is None or row.agent_id != agent.id:
        raise NotFound("no such token")
    credentials.revoke(row)
    db.session.commit()


def update_agent(agent: Agent, *, name: str | None = None, is_admin: bool | None = None) -> Agent:
    if name is not None:
        if not name.strip() or len(name.strip()) > 100:
            raise InvalidPayload("name must be 1-100 characters")
        agent.name = name.strip()
    if is_admin is not None:
        agent.is_admin = is_admin
    db.session.commit()
    return agent


def set_active(agent: Agent, active: bool) -> Agent:
    """Deactivate or reactivate; deactivation also ends every session of the agent and closes
    all its sockets. Its API tokens are refused while it is inactive and work again if it is
    reactivated (a bot's account can be paused)."""
    if not active and agent.active:
        credentials.end_sessions(agent, with_token_sockets=True)
    agent.active = active
    db.session.commit()
    return agent


def create_setup_token() -> str:
    """A one-time secret that lets whoever holds it create the first admin."""
    plain = secrets.token_urlsafe(24)
    db.session.add(SetupToken(token_hash=_digest(plain)))
    db.session.commit()
    return plain


def setup_token_valid(plain: str) -> bool:
    row = db.session.get(SetupToken, _digest(plain or ""))
    return row is not None and row.used_at is None and count_agents() == 0


def create_first_admin(plain: str, email: str, name: str, password: str) -> Agent:
    """Spend a setup token on the first admin account."""
    row = db.session.get(SetupToken, _digest(plain or ""))
    if row is None or row.used_at is not None or count_agents() > 0:
        raise NotFound("this setup link has been used or is not valid")
    agent = create_agent(email, name, password, is_admin=True)
    row.used_at = utcnow()
    row.agent_id = agent.id
    db.session.commit()
    return agent


def load_active(agent_id: str) -> Agent | None:
    """The agent with this id while it is active."""
    agent = by_id(Agent, agent_id)
    return agent if agent is not None and agent.active else None
