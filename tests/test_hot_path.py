"""The message path stays lean: its statement budget, one serialisation, and SQLite's durability
setting (docs/performance.md)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from support import create_app
from support.extensions import db
from support.models import Conversation, Message
from support.ratelimit import limiter
from support.serializers import conversation_dict, message_dict
from support.services import agents, messages, visitors
from support.services.conversations import claim
from support.services.errors import InvalidPayload


def new_visitor(name="V"):
    return visitors.create_visitor(
        {"name": name}, identity_secret=None, user_agent=None, ip_address=None
    )


def statements_of(work) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_):
        seen.append(statement.split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def on_this_database(sqlite, postgresql):
    """What to expect: PostgreSQL runs the seq update and the insert as one statement."""
    return postgresql if db.engine.dialect.name == "postgresql" else sqlite


@pytest.mark.parametrize("limit", ["20/minute", "0"])
def test_a_visitor_message_in_an_open_conversation_costs_one_statement_to_three(app, ctx, limit):
    app.config["LIMIT_VISITOR_MESSAGES"] = limit
    limiter.init_app(app)
    visitor_id = new_visitor().id
    messages.send_visitor_message(visitor_id, "first", "hello")
    db.session.remove()
    seen = statements_of(lambda: messages.send_visitor_message(visitor_id, "second", "again"))
    # The seq with the inbox fields and the resend check folded in, and the message: one
    # statement on PostgreSQL. On SQLite with a limit, the resend check comes first on its own
    # (the limit is counted before the write takes the write lock).
    sqlite = ["SELECT", "UPDATE", "INSERT"] if limit != "0" else ["UPDATE", "INSERT"]
    expected = on_this_database(sqlite, postgresql=["WITH"])
    assert [s for s in seen if s not in ("BEGIN", "COMMIT")] == expected


def test_a_resend_costs_no_write(ctx):
    """The seq update matches no row for a resend; the stored message is looked up."""
    visitor_id = new_visitor().id
    stored = messages.send_visitor_message(visitor_id, "first", "hello")
    db.session.remove()
    seen = statements_of(lambda: messages.send_visitor_message(visitor_id, "first", "hello"))
    assert messages.send_visitor_message(visitor_id, "first", "hello") == stored
    assert "INSERT" not in seen
    assert db.session.query(Message).count() == 1
    assert db.session.get_one(Conversation, stored.conversation["id"]).last_seq == 1


def test_an_agent_message_costs_one_statement_or_two(ctx):
    """In a conversation someone holds (a first reply to an unassigned one also claims it)."""
    agent_id = agents.create_agent("hot@example.com", "Hot Path", "password-1").id
    posted = messages.send_visitor_message(new_visitor().id, "v1", "hello")
    conversation_id = posted.conversation["id"]
    claim(agents.load_active(agent_id), conversation_id)
    db.session.remove()
    agent = agents.load_active(agent_id)  # the handler loads the agent per event
    seen = statements_of(
        lambda: messages.send_agent_message(agent, conversation_id, "a1", "hi there")
    )
    expected = on_this_database(["UPDATE", "INSERT"], postgresql=["WITH"])
    assert [s for s in seen if s not in ("BEGIN", "COMMIT")] == expected


def test_the_posted_dicts_match_the_models(ctx):
    """The hot path builds its JSON from the returned row; it must be what the models give."""
    agent = agents.create_agent("same@example.com", "Same Shape", "password-1")
    visitor = new_visitor("Vera")
    posted = messages.send_visitor_message(visitor.id, "v1", "hello")
    claim(agent, posted.conversation["id"])
    reply = messages.send_agent_message(agent, posted.conversation["id"], "a1", "hi")
    db.session.remove()
    conversation = db.session.get(Conversation, posted.conversation["id"])
    assert reply.conversation == conversation_dict(conversation, for_agents=True)
    assert reply.message == message_dict(db.session.get(Message, reply.message["id"]))


def test_an_agent_client_id_from_another_conversation_is_refused(ctx):
    agent = agents.create_agent("twice@example.com", "Twice", "password-1")
    one = messages.send_visitor_message(new_visitor().id, "v", "one").conversation["id"]
    two = messages.send_visitor_message(new_visitor().id, "v", "two").conversation["id"]
    stored = messages.send_agent_message(agent, one, "same", "to one")
    with pytest.raises(InvalidPayload):
        messages.send_agent_message(agent, two, "same", "to two")
    assert messages.send_agent_message(agent, one, "same", "to one") == stored


@pytest.mark.parametrize(("setting", "expected"), [(None, 1), ("FULL", 2)])
def test_sqlite_commits_without_an_fsync_unless_asked(tmp_path, setting, expected):
    config = {"DATABASE_URL": f"sqlite:///{tmp_path / 'sync.db'}", "SECRET_KEY": "x"}
    if setting:
        config["SQLITE_SYNCHRONOUS"] = setting
    app = create_app(config | {"ASYNC_MODE": "threading"})
    with app.app_context():
        assert db.session.execute(text("PRAGMA synchronous")).scalar() == expected  # 1 = NORMAL


def test_an_unknown_sqlite_durability_setting_is_refused(tmp_path):
    config = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "x"}
    with pytest.raises(ValueError, match="SUPPORT_SQLITE_SYNCHRONOUS"):
        create_app(config | {"ASYNC_MODE": "threading", "SQLITE_SYNCHRONOUS": "OFF; DROP"})


def test_serving_keeps_the_collector_off_the_start_up_heap(app):
    """Full collections walked every start-up object and stopped the event loop for ~100 ms
    under load; ``support serve`` freezes what exists before it starts serving."""
    import gc

    from support.serving import freeze_startup_heap

    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
