"""The domain services on the real database (SQLite, or PostgreSQL when configured), including
the concurrency of seq allocation and claims across threads, each with its own session."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from support.extensions import db
from support.models import Conversation, Message, Visitor, utcnow
from support.services import (
    agents,
    conversations,
    inbox,
    messages,
    receipts,
    transcripts,
    visitors,
)
from support.services.errors import AlreadyAssigned, ConversationClosed, Forbidden, RateLimited


def new_visitor(name="V"):
    return visitors.create_visitor(
        {"name": name}, identity_secret=None, user_agent=None, ip_address=None
    )


def in_threads(app, count, work):
    """Run ``work(i)`` in ``count`` threads at once, each in its own app context and session."""
    results, errors = [None] * count, []
    barrier = threading.Barrier(count)

    def run(i):
        with app.app_context():
            barrier.wait()
            try:
                results[i] = work(i)
            except Exception as error:  # collected and asserted by the caller
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_first_message_opens_a_conversation_and_numbers_from_one(ctx):
    visitor = new_visitor()
    message, conversation = conversations.post_visitor_message(visitor, "a", "hello")
    assert (message.seq, conversation.last_seq, conversation.status) == (1, 1, "open")
    message, again = conversations.post_visitor_message(visitor, "b", "more")
    assert again.id == conversation.id and message.seq == 2


def test_resend_returns_the_stored_message(ctx):
    visitor = new_visitor()
    first, _ = conversations.post_visitor_message(visitor, "same", "hello")
    second, _ = conversations.post_visitor_message(visitor, "same", "hello")
    assert first.id == second.id
    assert db.session.query(Message).count() == 1


def test_concurrent_senders_keep_seq_gapless(app, ctx):
    agent = agents.create_agent("a@example.com", "A", "password-1")
    visitor = new_visitor()
    _, conversation = conversations.post_visitor_message(visitor, "open", "hi")
    conversation_id, agent_id = conversation.id, agent.id

    def send(i):
        sender = agents.get_agent(agent_id)
        message, _ = conversations.post_agent_message(sender, conversation_id, f"c{i}", f"m{i}")
        return message.seq

    seqs, errors = in_threads(app, 12, send)
    assert not errors
    assert sorted(seqs) == list(range(2, 14))
    stored = db.session.scalars(
        db.select(Message.seq).where(Message.conversation_id == conversation_id)
    )
    assert sorted(stored) == list(range(1, 14))


def test_concurrent_first_messages_with_one_client_id_store_one(app, ctx):
    visitor_id = new_visitor().id

    def send(i):
        message, conversation = conversations.post_visitor_message(
            visitors.visitor_by_id(visitor_id), "retry-me", "hello"
        )
        return message.id, conversation.id

    results, errors = in_threads(app, 6, send)
    assert not errors
    assert len(set(results)) == 1
    assert db.session.query(Conversation).count() == 1


def test_concurrent_first_messages_with_different_ids_share_one_conversation(app, ctx):
    visitor_id = new_visitor().id

    def send(i):
        _, conversation = conversations.post_visitor_message(
            visitors.visitor_by_id(visitor_id), f"tab-{i}", "hello"
        )
        return conversation.id

    results, errors = in_threads(app, 6, send)
    assert not errors
    assert len(set(results)) == 1
    seqs = sorted(db.session.scalars(db.select(Message.seq)))
    assert seqs == list(range(1, 7))


def test_exactly_one_concurrent_claim_wins(app, ctx):
    ids = [agents.create_agent(f"a{i}@example.com", f"A{i}", "password-1").id for i in range(5)]
    _, conversation = conversations.post_visitor_message(new_visitor(), "x", "hi")
    conversation_id = conversation.id

    def claim(i):
        return conversations.claim(agents.get_agent(ids[i]), conversation_id).assignee_id

    results, errors = in_threads(app, 5, claim)
    assert len([r for r in results if r]) == 1
    assert len(errors) == 4 and all(isinstance(e, AlreadyAssigned) for e in errors)
    db.session.expire_all()
    assert db.session.get(Conversation, conversation_id).assignee_id in ids


def test_claim_is_idempotent_for_the_owner(ctx):
    agent = agents.create_agent("a@example.com", "A", "password-1")
    _, conversation = conversations.post_visitor_message(new_visitor(), "x", "hi")
    conversations.claim(agent, conversation.id)
    assert conversations.claim(agent, conversation.id).assignee_id == agent.id


def test_only_assignee_or_admin_may_close_or_transfer(ctx):
    owner = agents.create_agent("o@example.com", "Owner", "password-1")
    other = agents.create_agent("x@example.com", "Other", "password-1")
    admin = agents.create_agent("r@example.com", "Root", "password-1", is_admin=True)
    _, conversation = conversations.post_visitor_message(new_visitor(), "x", "hi")
    conversations.claim(owner, conversation.id)
    with pytest.raises(Forbidden):
        conversations.close(other, conversation.id)
    with pytest.raises(Forbidden):
        conversations.transfer(other, conversation.id, other.id)
    assert conversations.transfer(admin, conversation.id, other.id).assignee_id == other.id
    assert conversations.close(admin, conversation.id).status == "closed"
    with pytest.raises(ConversationClosed):
        conversations.post_agent_message(owner, conversation.id, "late", "too late")


def test_reopen_refuses_when_the_visitor_has_another_open_conversation(ctx):
    from support.services.errors import InvalidPayload

    agent = agents.create_agent("o@example.com", "Owner", "password-1")
    visitor = new_visitor()
    _, first = conversations.post_visitor_message(visitor, "1", "hi")
    conversations.close(agent, first.id)
    assert conversations.reopen(agent, first.id).status == "open"
    conversations.close(agent, first.id)
    conversations.post_visitor_message(visitor, "2", "again")
    with pytest.raises(InvalidPayload):
        conversations.reopen(agent, first.id)


def test_a_reopened_conversation_drops_its_old_rating(ctx):
    agent = agents.create_agent("o@example.com", "Owner", "password-1")
    visitor = new_visitor()
    _, conversation = conversations.post_visitor_message(visitor, "1", "hi")
    conversations.close(agent, conversation.id)
    conversations.rate(visitor, 2, "slow")
    reopened = conversations.reopen(agent, conversation.id)
    assert (reopened.rating, reopened.rating_comment) == (None, None)


def test_rate_limit_counts_only_stored_messages(app, ctx):
    from support.ratelimit import limiter

    app.config["LIMIT_VISITOR_MESSAGES"] = "2/minute"
    limiter.init_app(app)
    visitor = new_visitor()
    conversations.post_visitor_message(visitor, "1", "a")
    conversations.post_visitor_message(visitor, "2", "b")
    conversations.post_visitor_message(visitor, "1", "a")  # a resend does not count
    with pytest.raises(RateLimited):
        conversations.post_visitor_message(visitor, "3", "c")
    assert db.session.query(Message).count() == 2


def test_a_resend_past_the_rate_limit_is_answered_with_the_stored_message(app, ctx):
    from support.ratelimit import limiter

    app.config["LIMIT_VISITOR_MESSAGES"] = "1/minute"
    limiter.init_app(app)
    visitor = new_visitor()
    first, _ = conversations.post_visitor_message(visitor, "1", "a")
    with pytest.raises(RateLimited):
        conversations.post_visitor_message(visitor, "2", "b")
    again, _ = conversations.post_visitor_message(visitor, "1", "a")
    assert again.id == first.id
    assert db.session.query(Message).count() == 1


def test_concurrent_messages_cannot_pass_the_rate_limit_together(app, ctx):
    """The limit is counted before each commit, so a burst is cut at the limit."""
    from support.ratelimit import limiter

    app.config["LIMIT_VISITOR_MESSAGES"] = "3/minute"
    limiter.init_app(app)
    visitor_id = new_visitor().id
    conversations.post_visitor_message(visitors.visitor_by_id(visitor_id), "open", "hi")

    def send(i):
        return messages.send_visitor_message(visitor_id, f"burst-{i}", "hello").message["seq"]

    results, errors = in_threads(app, 8, send)
    assert sorted(r for r in results if r is not None) == [2, 3]
    assert len(errors) == 6 and all(isinstance(e, RateLimited) for e in errors)
    conversation = db.session.scalars(db.select(Conversation)).one()
    assert conversation.last_seq == 3


def test_racing_duplicates_in_an_open_conversation_store_one(app, ctx):
    """The seq update and the insert (one statement on PostgreSQL) of twins racing: the unique
    (sender, client_id) index refuses all but one, whose stored message answers the others,
    and their seq updates are undone with them."""
    visitor_id = new_visitor().id
    conversations.post_visitor_message(visitors.visitor_by_id(visitor_id), "open", "hi")

    def send(i):
        posted = messages.send_visitor_message(visitor_id, "twin", "hello")
        return posted.message["id"], posted.message["seq"]

    results, errors = in_threads(app, 8, send)
    assert not errors
    assert len(set(results)) == 1 and results[0][1] == 2
    assert sorted(db.session.scalars(db.select(Message.seq))) == [1, 2]
    assert db.session.scalars(db.select(Conversation)).one().last_seq == 2


def test_read_marks_move_forward_only_and_count_unread_per_agent(ctx):
    agent = agents.create_agent("o@example.com", "Owner", "password-1")
    colleague = agents.create_agent("c@example.com", "Colleague", "password-1")
    visitor = new_visitor()
    for i in range(3):
        _, conversation = conversations.post_visitor_message(visitor, str(i), "m")
    assert inbox.agent_view(agent, conversation)["unread"] == 3
    receipts.mark_read_by_agent(agent, conversation.id, 2)
    assert inbox.agent_view(agent, conversation)["unread"] == 1
    assert inbox.agent_view(colleague, conversation)["unread"] == 3
    receipts.mark_read_by_agent(agent, conversation.id, 1)
    assert inbox.agent_view(agent, conversation)["unread"] == 1
    assert conversation.agent_read_seq == 2
    receipts.mark_read_by_visitor(visitor, 99)
    assert conversation.visitor_read_seq == 3


def test_purge_removes_only_old_closed_conversations(ctx):
    agent = agents.create_agent("o@example.com", "Owner", "password-1")
    old_closed = conversations.post_visitor_message(new_visitor("old"), "1", "x")[1]
    new_closed = conversations.post_visitor_message(new_visitor("new"), "1", "x")[1]
    old_open = conversations.post_visitor_message(new_visitor("open"), "1", "x")[1]
    for conversation in (old_closed, new_closed):
        conversations.close(agent, conversation.id)
    old_closed.closed_at = utcnow() - timedelta(days=40)
    old_open.created_at = utcnow() - timedelta(days=400)
    db.session.commit()
    old_visitor_id, old_closed_id = old_closed.visitor_id, old_closed.id
    kept = {new_closed.id, old_open.id}
    assert transcripts.purge_closed(30) == 1
    assert set(db.session.scalars(db.select(Conversation.id))) == kept
    assert db.session.query(Message).filter_by(conversation_id=old_closed_id).count() == 0
    # The purged conversation's visitor had nothing else, but it was seen recently: kept.
    assert db.session.get(Visitor, old_visitor_id) is not None


def test_erase_visitor_leaves_nothing(ctx):
    visitor = new_visitor("Erin")
    conversations.post_visitor_message(visitor, "1", "my secret")
    conversations.post_visitor_message(visitor, "2", "more")
    assert transcripts.erase_visitor(visitor) == 1
    assert db.session.query(Visitor).count() == 0
    assert db.session.query(Message).count() == 0
    assert db.session.query(Conversation).count() == 0


def test_passwords_are_hashed_and_checked(ctx):
    agent = agents.create_agent("Pat@Example.com", "Pat", "password-9")
    assert agent.password_hash and "password-9" not in agent.password_hash
    assert agents.authenticate("pat@example.com", "password-9").id == agent.id
    assert agents.authenticate("pat@example.com", "wrong") is None
    agents.set_active(agent, False, actor=None)
    assert agents.authenticate("pat@example.com", "password-9") is None


def test_api_tokens_are_stored_hashed_and_revocable(ctx):
    from support.models import ApiToken

    agent = agents.create_agent("t@example.com", "Tok", "password-1")
    token = agents.issue_api_token(agent, "bot")
    row = db.session.query(ApiToken).one()
    assert token not in row.token_hash
    assert agents.agent_for_token(token).id == agent.id
    agents.revoke_token(agent, row.id, actor=None)
    assert agents.agent_for_token(token) is None


def test_visitor_tokens_cannot_be_forged(app, ctx):
    visitor = new_visitor()
    token = visitors.issue_token(visitor, app.secret_key)
    assert visitors.visitor_for_token(token, app.secret_key).id == visitor.id
    assert visitors.visitor_for_token(token, "another-key") is None
    assert visitors.visitor_for_token(token[:-2] + "xx", app.secret_key) is None
    assert visitors.visitor_for_token(None, app.secret_key) is None
