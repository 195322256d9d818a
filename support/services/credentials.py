"""What authorises an agent, and how it is withdrawn (PROTOCOL §4, guarantee 8).

An agent acts with one of two credentials: a dashboard session (the cookie names the agent and
its ``session_version``) or an API token. Each socket remembers the credential it was opened
with, as a short string: ``session:<version>`` or ``token:<token id>``. Withdrawing one
(sign-out, a password reset, a new invite, deactivation, a revoked token) commits the change and
records ``credentials_withdrawn`` with what was withdrawn: ``"session"`` (every session of the
agent), ``"token:<id>"``, or ``"*"`` (everything). ``realtime`` then closes the sockets that
used them, on every process; and every later event re-checks its socket's credential, so nothing
slips through in between.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from sqlalchemy import or_, select, update

from .. import events
from ..extensions import db
from ..models import Agent, ApiToken, SetupToken, utcnow

SESSION = "session"
EVERYTHING = "*"
INVITE = "invite"
TOKEN_PREFIX = "token:"  # noqa: S105 (a label, not a secret)
SESSION_PREFIX = "session:"

# ``last_used_at`` is written at most this often per token, so using a token costs no write
# per request.
TOUCH_SECONDS = 60
_touched: dict[str, float] = {}  # token id -> when this process last wrote its last_used_at


def digest(token: str) -> str:
    """How secrets (tokens, links) are stored: only their SHA-256."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def session_credential(agent: Agent) -> str:
    return f"{SESSION_PREFIX}{agent.session_version}"


def token_credential(plain) -> tuple[Agent, str] | None:
    """The active agent a bearer token belongs to and the token's credential, or None when the
    token is unknown or revoked."""
    if not isinstance(plain, str) or not plain or len(plain) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(plain)))
    if row is None or row.revoked_at is not None or not row.agent.active:
        return None
    touch_token(row.id)
    return row.agent, TOKEN_PREFIX + row.id


def agent_for_credential(agent_id: str, credential: str) -> Agent | None:
    """The agent while ``credential`` still authorises it (one query), or None."""
    query = select(Agent).where(Agent.id == agent_id, Agent.active.is_(True))
    if credential.startswith(TOKEN_PREFIX):
        token_id = credential.removeprefix(TOKEN_PREFIX)
        query = query.join(ApiToken, ApiToken.agent_id == Agent.id).where(
            ApiToken.id == token_id, ApiToken.revoked_at.is_(None)
        )
    elif credential.startswith(SESSION_PREFIX):
        version = credential.removeprefix(SESSION_PREFIX)
        query = query.where(Agent.session_version == int(version))
    else:
        return None
    agent = db.session.scalar(query)
    if agent is not None and credential.startswith(TOKEN_PREFIX):
        touch_token(credential.removeprefix(TOKEN_PREFIX))
    return agent


def recheck(agent_id: str, credential: str) -> bool:
    """Whether ``credential`` still holds, read in a new transaction: a socket registers first
    and checks again, so a withdrawal that committed while it connected is never missed."""
    db.session.rollback()
    return agent_for_credential(agent_id, credential) is not None


def touch_token(token_id: str) -> None:
    """Record that a token was used: at most once a minute per token and process, and the
    database skips the write when another process wrote within the minute."""
    now = time.monotonic()
    if now - _touched.get(token_id, -TOUCH_SECONDS) < TOUCH_SECONDS:
        return
    _touched[token_id] = now
    recent = utcnow() - timedelta(seconds=TOUCH_SECONDS)
    db.session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < recent),
        )
        .values(last_used_at=utcnow())
    )
    db.session.commit()


def covers(withdrawn: list[str], credential: str) -> bool:
    """Whether a socket opened with ``credential`` must close after ``withdrawn``."""
    return (
        EVERYTHING in withdrawn
        or (SESSION in withdrawn and credential.startswith(SESSION_PREFIX))
        or credential in withdrawn
    )


def _withdrawn(agent: Agent, what: list[str]) -> None:
    events.record(db.session, events.CredentialsWithdrawn(agent.id, credentials=what))


def end_sessions(agent: Agent, *, with_token_sockets: bool = False) -> None:
    """Every session of the agent stops working, copies of its cookie included (the session
    id carries ``session_version``), and so do the sockets they opened; with
    ``with_token_sockets`` (deactivation) every other socket of the agent closes too. Not
    committed: the caller commits with its own change."""
    agent.session_version = Agent.session_version + 1
    _withdrawn(agent, [EVERYTHING if with_token_sockets else SESSION])


def void_invites(agent: Agent) -> None:
    """Every invite link of the agent not yet used stops working."""
    db.session.execute(
        update(SetupToken)
        .where(
            SetupToken.agent_id == agent.id,
            SetupToken.purpose == INVITE,
            SetupToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )


def end_everything(agent: Agent) -> None:
    """What a new password or a new invite does: every session, API token and outstanding
    invite of the agent ends. Not committed."""
    agent.session_version = Agent.session_version + 1
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.agent_id == agent.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    void_invites(agent)
    _withdrawn(agent, [EVERYTHING])


def revoke(row: ApiToken) -> None:
    """One API token ends, with the sockets it opened. Not committed."""
    row.revoked_at = row.revoked_at or utcnow()
    _withdrawn(row.agent, [TOKEN_PREFIX + row.id])
