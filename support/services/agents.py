"""Agents: their accounts, passwords, invites, API tokens, sign-in and the one-time
first-admin link.

What admins do to agents goes through one guarded path (``update_agent``): the last active
admin keeps its rights and stays active, and deactivation, a new password or a new invite
withdraw the agent's credentials (``credentials``). Each operation writes its audit entry with
the acting agent (``actor``) in the transaction of the change and commits once."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db, execute_dml
from ..models import Agent, ApiToken, SetupToken, by_id, utcnow
from ..ratelimit import limiter
from . import credentials, routing
from .audit import Actor, write
from .errors import Conflict, Forbidden, InvalidPayload, NotFound, RateLimited, Unauthorized

MIN_PASSWORD_LENGTH = 8
INVITE = credentials.INVITE
INVITE_DAYS = 7

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


# --- accounts ----------------------------------------------------------------------------------


def _new_agent(email: str, name: str, *, is_admin: bool) -> Agent:
    """A checked agent, not yet in the session (the caller adds it once all is checked)."""
    email = normalise_email(email) if isinstance(email, str) else ""
    name = name.strip() if isinstance(name, str) else ""
    if "@" not in email or len(email) > 254:
        raise InvalidPayload("email must be an email address")
    if not name or len(name) > 100:
        raise InvalidPayload("name must be 1-100 characters")
    if find_by_email(email) is not None:
        raise Conflict(f"an agent with email {email} already exists")
    return Agent(email=email, name=name, is_admin=is_admin)


def create_agent(
    email: str,
    name: str,
    password: str | None,
    *,
    is_admin: bool = False,
    actor: Actor | None = None,
) -> Agent:
    """Add an agent with a password (or None for one who will set it through ``invite_agent``'s
    link). ``actor`` is None for the command line, the demo seed and tests (not audited)."""
    agent = _new_agent(email, name, is_admin=is_admin)
    if password is not None:
        check_password(password)
        agent.password_hash = generate_password_hash(password)
    db.session.add(agent)
    write(actor, "agent_created", agent.email, {"admin": agent.is_admin, "invite": False})
    db.session.commit()
    return agent


def invite_agent(
    email: str, name: str, *, is_admin: bool = False, actor: Actor | None
) -> tuple[Agent, str]:
    """Add an agent without a password, with the one-time invite link's secret it sets its
    password with (shown once)."""
    agent = _new_agent(email, name, is_admin=is_admin)
    db.session.add(agent)
    db.session.flush()  # the invite names the agent's id
    plain = _issue_invite(agent)
    write(actor, "agent_created", agent.email, {"admin": agent.is_admin, "invite": True})
    db.session.commit()
    return agent, plain


def check_password(password) -> None:
    """Refuse a password too short to keep."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidPayload(f"password must be at least {MIN_PASSWORD_LENGTH} characters")


def _set_password(agent: Agent, password: str) -> None:
    """A new password: every session, socket, API token and outstanding invite link of the agent
    ends with the old one. Not committed."""
    check_password(password)
    agent.password_hash = generate_password_hash(password)
    credentials.end_everything(agent)


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


def load_active(agent_id: str) -> Agent | None:
    """The agent with this id while it is active."""
    agent = by_id(Agent, agent_id)
    return agent if agent is not None and agent.active else None


# --- what admins change: one guarded path ------------------------------------------------------


def _other_active_admins(agent: Agent) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Agent)
            .where(Agent.is_admin.is_(True), Agent.active.is_(True), Agent.id != agent.id)
        )
        or 0
    )


def _check_changes(agent: Agent, changes: dict) -> None:
    """Everything is checked before anything changes."""
    if not isinstance(changes, dict):
        raise InvalidPayload("send a JSON object")
    name, is_admin, active = changes.get("name"), changes.get("admin"), changes.get("active")
    if name is not None and not isinstance(name, str):
        raise InvalidPayload("name must be a string")
    if name is not None and (not name.strip() or len(name.strip()) > 100):
        raise InvalidPayload("name must be 1-100 characters")
    if is_admin is not None and not isinstance(is_admin, bool):
        raise InvalidPayload("admin must be true or false")
    if "password" in changes:
        check_password(changes["password"])
    if active is not None and not isinstance(active, bool):
        raise InvalidPayload("active must be true or false")
    if "capacity" in changes:
        routing.check_capacity(changes["capacity"])
    demoted = is_admin is False or active is False
    if demoted and agent.is_admin and _other_active_admins(agent) == 0:
        if is_admin is False:
            raise Forbidden("the last admin cannot lose admin rights")
        raise Forbidden("the last admin cannot be deactivated")


def update_agent(agent: Agent, changes: dict, *, actor: Actor | None) -> Agent:
    """Apply ``{"name"?, "admin"?, "password"?, "capacity"?, "active"?}`` (absent or None: left
    as is; ``capacity`` None follows the routing setting). The last active admin keeps its rights
    and stays active; a new password ends every credential of the agent, and deactivation every
    session and socket (its API tokens work again if it is reactivated: a bot can be paused).
    One commit, with an audit entry per kind of change."""
    _check_changes(agent, changes)
    name, is_admin, active = changes.get("name"), changes.get("admin"), changes.get("active")
    if name is not None or is_admin is not None:
        agent.name = name.strip() if name is not None else agent.name
        agent.is_admin = is_admin if is_admin is not None else agent.is_admin
        write(actor, "agent_updated", agent.email, {"name": agent.name, "admin": agent.is_admin})
    if "password" in changes:
        _set_password(agent, changes["password"])
        write(actor, "password_reset", agent.email)
    if "capacity" in changes:
        agent.capacity = changes["capacity"]
        write(actor, "agent_updated", agent.email, {"capacity": agent.capacity})
    if active is not None and active != agent.active:
        if not active:
            credentials.end_sessions(agent, with_token_sockets=True)
        agent.active = active
        write(actor, "agent_reactivated" if active else "agent_deactivated", agent.email)
    db.session.commit()
    if "capacity" in changes:
        routing.route_safely()  # more room may take waiting conversations at once
    return agent


def set_active(agent: Agent, active: bool, *, actor: Actor | None) -> Agent:
    """Deactivate or reactivate, through ``update_agent``'s guards."""
    return update_agent(agent, {"active": active}, actor=actor)


# --- invites -----------------------------------------------------------------------------------


def _issue_invite(agent: Agent) -> str:
    """A one-time secret with which ``agent`` sets its own password. It replaces everything
    before it: the old password is cleared, every session, socket and API token of the agent
    ends, and older links stop working. Only the hash is stored. Not committed."""
    agent.password_hash = None
    credentials.end_everything(agent)  # voids the older links too
    plain = secrets.token_urlsafe(24)
    db.session.add(SetupToken(token_hash=_digest(plain), purpose=INVITE, agent_id=agent.id))
    return plain


def create_invite(agent: Agent, *, actor: Actor | None) -> str:
    """A new invite link for an existing agent (see ``_issue_invite``)."""
    plain = _issue_invite(agent)
    write(actor, "invite_created", agent.email)
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
    check_password(password)
    # Spent in the same transaction as the new password, and only if nobody spent it first.
    spent = execute_dml(
        update(SetupToken)
        .where(SetupToken.token_hash == _digest(plain), SetupToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if agent is None or spent.rowcount != 1:
        db.session.rollback()
        raise NotFound("this invite link has been used, has expired or is not valid")
    _set_password(agent, password)  # voids the agent's other links too
    db.session.commit()
    return agent


# --- API tokens --------------------------------------------------------------------------------


def issue_api_token(agent: Agent, label: str = "") -> str:
    """Create a bearer token for ``agent`` (``/auth/token``, tests); the plain token is returned
    once and never stored."""
    plain = _new_token(agent, label)
    db.session.commit()
    return plain


def _new_token(agent: Agent, label: str) -> str:
    plain = "sup_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(agent_id=agent.id, label=label[:100], token_hash=_digest(plain)))
    return plain


def create_token(agent: Agent, label, *, actor: Actor | None) -> tuple[str, ApiToken]:
    """An admin gives ``agent`` a labelled API token: the plain token (shown once) and its row."""
    if not isinstance(label, str) or not label.strip() or len(label) > 100:
        raise InvalidPayload("label must be 1-100 characters")
    plain = _new_token(agent, label.strip())
    write(actor, "token_created", agent.email, {"label": label.strip()})
    db.session.commit()
    return plain, list_tokens(agent)[-1]


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


def revoke_token(agent: Agent, token_id: str, *, actor: Actor | None) -> None:
    """One token ends, with the sockets it opened."""
    row = by_id(ApiToken, token_id)
    if row is None or row.agent_id != agent.id:
        raise NotFound("no such token")
    credentials.revoke(row)
    write(actor, "token_revoked", agent.email, {"token_id": token_id})
    db.session.commit()


# --- signing in and out ------------------------------------------------------------------------


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


def sign_in(email: str, password: str, address: str, *, audited: bool = False) -> Agent:
    """Check credentials for the dashboard and ``/api/v1/auth/token``, throttled against
    password guessing: failures count per address and per account from that address
    (``LIMIT_LOGIN``), and once either is spent every attempt from there is refused, the right
    password too, until the window moves on. The account's count is kept per address so that a
    stranger guessing elsewhere cannot lock the agent out. Successful sign-ins count nothing,
    so busy teams and scripts are never locked out. ``audited`` (the dashboard) records the
    sign-in or the failure; a refusal past the limit is never written, so a flood costs no
    writes."""
    keys = [f"ip:{address}", f"account:{_digest(normalise_email(email))}:{address}"]
    if any(limiter.spent("login", key) for key in keys):
        raise RateLimited("too many failed sign-in attempts; wait a minute and try again")
    agent = authenticate(email, password)
    if agent is None:
        for key in keys:
            limiter.allow("login", key)
        if audited:
            write(Actor(None, address), "login_failed", email[:200])
            db.session.commit()
        raise Unauthorized("wrong email or password")
    if audited:
        write(Actor(agent, address), "login", agent.email)
        db.session.commit()
    return agent


def sign_out(agent: Agent, *, actor: Actor | None) -> None:
    """End every session of the agent, so that a copy of its cookie stops working too, and
    close the dashboard sockets they opened. API tokens stay valid."""
    write(actor, "logout")
    credentials.end_sessions(agent)
    db.session.commit()


def load_session_agent(session_id: str) -> Agent | None:
    """Flask-Login's loader: ``agent_id:session_version``, so bumped versions are signed out."""
    agent_id, _, version = (session_id or "").partition(":")
    agent = by_id(Agent, agent_id)
    if agent is None or not agent.active or str(agent.session_version) != version:
        return None
    return agent


# --- the first admin ---------------------------------------------------------------------------


def create_setup_token() -> str:
    """A one-time secret that lets whoever holds it create the first admin."""
    plain = secrets.token_urlsafe(24)
    db.session.add(SetupToken(token_hash=_digest(plain)))
    db.session.commit()
    return plain


def setup_token_valid(plain: str) -> bool:
    row = db.session.get(SetupToken, _digest(plain or ""))
    return row is not None and row.used_at is None and count_agents() == 0


def create_first_admin(
    plain: str, email: str, name: str, password: str, *, ip: str | None = None
) -> Agent:
    """Spend a setup token on the first admin account, audited as the new admin's own act."""
    row = db.session.get(SetupToken, _digest(plain or ""))
    if row is None or row.used_at is not None or count_agents() > 0:
        raise NotFound("this setup link has been used or is not valid")
    agent = _new_agent(email, name, is_admin=True)
    check_password(password)
    agent.password_hash = generate_password_hash(password)
    db.session.add(agent)
    db.session.flush()  # the setup token names the agent's id
    row.used_at = utcnow()
    row.agent_id = agent.id
    write(Actor(agent, ip), "first_admin_created", agent.email)
    db.session.commit()
    return agent
