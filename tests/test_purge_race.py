"""Guarantee 9, as the attack that broke it: a purge pauses between choosing its conversations
and deleting them; meanwhile an agent reopens one and the visitor writes to it (acked). That
conversation must survive with every message; the untouched one still goes.

The purge runs in this process on the real server's database; the pause is an SQLAlchemy
event hook installed by the test, and the reopening goes through the real server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, update

from support import create_app
from support.extensions import db
from support.models import Conversation, utcnow
from support.services import transcripts

pytestmark = pytest.mark.e2e


def _closed_conversation(server, agent, body: str):
    visitor = server.visitor()
    sent = visitor.ok("message:send", {"client_id": "first", "body": body})
    conversation_id = sent["conversation"]["id"]
    agent.ok("conversation:claim", {"conversation_id": conversation_id})
    agent.ok("conversation:close", {"conversation_id": conversation_id})
    return visitor, conversation_id


@pytest.fixture
def purge_app(server):
    """An app on the server's own database, to run the purge as ``support purge`` would."""
    app = create_app(
        {
            "DATABASE_URL": server.env["SUPPORT_DATABASE_URL"],
            "SECRET_KEY": server.env["SUPPORT_SECRET_KEY"],
            "ASYNC_MODE": "threading",
        }
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_a_conversation_reopened_during_a_purge_survives_with_its_messages(server, purge_app):
    agent = server.agent("alice")
    visitor, reopened = _closed_conversation(server, agent, "please keep this")
    _, expired = _closed_conversation(server, agent, "this one may go")
    month_ago = utcnow() - timedelta(days=30)
    db.session.execute(
        update(Conversation)
        .where(Conversation.id.in_([reopened, expired]))
        .values(closed_at=month_ago)
    )
    db.session.commit()
    acks = []

    def reopen_before_the_first_delete(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("DELETE") and not acks:
            agent.ok("conversation:reopen", {"conversation_id": reopened})
            acks.append(visitor.ok("message:send", {"client_id": "second", "body": "still here?"}))

    event.listen(db.engine, "before_cursor_execute", reopen_before_the_first_delete)
    try:
        assert transcripts.purge_closed(7) == 1
    finally:
        event.remove(db.engine, "before_cursor_execute", reopen_before_the_first_delete)
    assert acks and acks[0]["message"]["conversation_id"] == reopened
    kept = server.api("GET", f"/api/v1/conversations/{reopened}")
    assert kept.status_code == 200
    assert kept.json()["conversation"]["status"] == "open"
    bodies = [m["body"] for m in kept.json()["messages"]]
    assert "please keep this" in bodies and "still here?" in bodies
    assert server.api("GET", f"/api/v1/conversations/{expired}").status_code == 404
    agent.close()
    visitor.close()
