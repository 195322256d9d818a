"""Typed events: what each service records (captured after its commit, as ``realtime`` gets
them), the start-up check that every event kind has a publisher, and publishing that logs a
failed emit without dropping the commit's other events."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from support import create_app, events, realtime
from support.extensions import db, socketio
from support.services import (
    agents,
    conversations,
    credentials,
    messages,
    settings,
    visitors,
)
from support.services.errors import AlreadyAssigned


class EventLog:
    """Listens in front of the installed publisher: every event published (recorded ones after
    their commit, announced ones at once) is kept here and still goes out to sockets."""

    def __init__(self) -> None:
        self.events: list[events.Event] = []
        self.publisher = events.current_sink()

    def __call__(self, event: events.Event) -> None:
        self.events.append(event)
        if self.publisher is not None:
            self.publisher(event)

    def take(self) -> list[events.Event]:
        """The events published since the last look."""
        taken, self.events = self.events, []
        return taken

    def kinds(self) -> list[type]:
        return [type(event) for event in self.take()]


@pytest.fixture
def recorded(ctx):
    """Services called in the app (``ctx``); ``recorded.take()`` returns what they published."""
    log = EventLog()
    events.set_sink(log)
    yield log
    events.set_sink(log.publisher)


def new_visitor(name="Vera"):
    return visitors.create_visitor(
        {"name": name}, identity_secret=None, user_agent=None, ip_address=None
    )


def open_conversation(text="hello") -> str:
    visitor = new_visitor()
    return messages.send_visitor_message(visitor.id, "first", text).conversation["id"]


# --- what the services record ------------------------------------------------------------------


def test_a_visitors_first_message_records_the_conversation_then_the_message(recorded):
    visitor = new_visitor()
    posted = messages.send_visitor_message(visitor.id, "c1", "hello")
    created, message = recorded.take()
    assert isinstance(created, events.ConversationCreated)
    assert created.conversation["id"] == posted.conversation["id"]
    assert created.conversation["visitor"]["id"] == visitor.id
    assert isinstance(message, events.MessageCreated)
    assert (message.message["seq"], message.message["body"]) == (1, "hello")
    assert message.message["sender"] == {"type": "visitor", "id": visitor.id, "name": "Vera"}
    assert message.message["private"] is False
    assert message.conversation["id"] == posted.conversation["id"]

    messages.send_visitor_message(visitor.id, "c2", "again")
    (later,) = recorded.take()  # no new conversation this time
    assert isinstance(later, events.MessageCreated) and later.message["seq"] == 2


def test_a_resent_message_records_nothing(recorded):
    visitor = new_visitor()
    messages.send_visitor_message(visitor.id, "c1", "hello")
    recorded.take()
    messages.send_visitor_message(visitor.id, "c1", "hello")
    assert recorded.take() == []


def test_claiming_records_the_assignment_and_an_activity_line(recorded):
    alice = agents.create_agent("alice@example.com", "Alice", "password-1")
    conversation_id = open_conversation()
    recorded.take()
    conversations.claim(alice, conversation_id)
    updated, activity = recorded.take()
    assert isinstance(updated, events.ConversationUpdated)
    assert updated.conversation["id"] == conversation_id
    assert updated.conversation["assignee"]["id"] == alice.id
    assert (updated.previous_assignee_id, updated.change) == (None, None)
    assert isinstance(activity, events.Activity)
    assert activity.activity["kind"] == "claimed"
    assert activity.activity["conversation_id"] == conversation_id


def test_a_refused_claim_records_nothing(recorded):
    alice = agents.create_agent("alice@example.com", "Alice", "password-1")
    bob = agents.create_agent("bob@example.com", "Bob", "password-1")
    conversation_id = open_conversation()
    conversations.claim(alice, conversation_id)
    recorded.take()
    with pytest.raises(AlreadyAssigned):
        conversations.claim(bob, conversation_id)
    assert recorded.take() == []


def test_transferring_tells_the_previous_assignee_too(recorded):
    alice = agents.create_agent("alice@example.com", "Alice", "password-1")
    bob = agents.create_agent("bob@example.com", "Bob", "password-1")
    conversation_id = open_conversation()
    conversations.claim(alice, conversation_id)
    recorded.take()
    conversations.transfer(alice, conversation_id, bob.id, "over to you")
    updated, activity = recorded.take()
    assert isinstance(updated, events.ConversationUpdated)
    assert updated.conversation["assignee"]["id"] == bob.id
    assert updated.previous_assignee_id == alice.id
    assert isinstance(activity, events.Activity)
    assert activity.activity["kind"] == "transferred"
    assert activity.activity["note"] == "over to you"
    assert activity.previous_assignee_id == alice.id
    assert set(realtime.agent_audience(updated.conversation, alice.id)) >= {
        f"agent:{alice.id}",
        f"agent:{bob.id}",
    }


def test_closing_records_a_closed_change_once(recorded):
    alice = agents.create_agent("alice@example.com", "Alice", "password-1")
    conversation_id = open_conversation()
    conversations.claim(alice, conversation_id)
    recorded.take()
    conversations.close(alice, conversation_id)
    updated, activity = recorded.take()
    assert isinstance(updated, events.ConversationUpdated)
    assert (updated.change, updated.conversation["status"]) == ("closed", "closed")
    assert isinstance(activity, events.Activity) and activity.activity["kind"] == "closed"
    conversations.close(alice, conversation_id)  # already closed: nothing happens
    assert recorded.take() == []


def test_a_settings_change_records_the_new_public_config(recorded):
    settings.update_widget_settings({"brand": {"name": "Tech Souls"}})
    (changed,) = recorded.take()
    assert isinstance(changed, events.SettingsChanged)
    assert changed.config["brand"]["name"] == "Tech Souls"
    assert changed.config["chat"]["online"] is False  # nobody is online
    assert "allowed_origins" not in changed.config  # the public config only


def test_invalid_settings_record_nothing(recorded):
    with pytest.raises(settings.SettingsInvalid):
        settings.update_widget_settings({"brand": {"color": "not a colour"}})
    assert recorded.take() == []


def test_deactivating_an_agent_withdraws_every_credential(recorded):
    agents.create_agent("admin@example.com", "Admin", "password-1", is_admin=True)
    alice = agents.create_agent("alice@example.com", "Alice", "password-1")
    agents.set_active(alice, False, actor=None)
    (withdrawn,) = recorded.take()
    assert isinstance(withdrawn, events.CredentialsWithdrawn)
    assert withdrawn.agent_id == alice.id
    assert withdrawn.credentials == [credentials.EVERYTHING]


def test_a_rolled_back_change_publishes_nothing(recorded):
    visitor = new_visitor()
    visitor.name = "Renamed"
    db.session.flush()
    events.record(db.session, events.QueuePosition(visitor.id, position=3))
    db.session.rollback()
    db.session.commit()
    assert recorded.take() == []


def test_an_event_recorded_before_any_sql_is_dropped_by_a_rollback(recorded):
    """A rollback of a transaction that had run no SQL yet still drops what was recorded."""
    visitor = new_visitor()
    db.session.commit()
    events.record(db.session, events.QueuePosition(visitor.id, position=3))
    db.session.rollback()
    visitor.name = "Renamed"
    db.session.commit()
    assert recorded.take() == []


# --- the kinds and their publishers ------------------------------------------------------------


def test_every_event_kind_has_exactly_one_publisher():
    assert set(events.KINDS) == set(realtime.PUBLISHERS)
    assert len(events.KINDS) == len(set(events.KINDS))
    realtime.check_publishers()


def test_the_app_refuses_to_start_with_an_event_kind_nobody_publishes(
    monkeypatch, tmp_path, database_url
):
    @dataclass(frozen=True)
    class Forgotten(events.Event):
        what: str

    monkeypatch.setattr(events, "KINDS", (*events.KINDS, Forgotten))
    with pytest.raises(realtime.MissingPublisher, match="Forgotten"):
        create_app({"TESTING": True, "DATABASE_URL": database_url, "ASYNC_MODE": "threading"})


def test_an_event_of_an_unknown_kind_is_a_programming_error(ctx):
    @dataclass(frozen=True)
    class Stray(events.Event):
        what: str

    with pytest.raises(realtime.MissingPublisher, match="Stray"):
        events.announce(Stray("x"))
    with pytest.raises(TypeError, match="not an event"):
        events.record(db.session, "conversation_updated")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        events.ConversationUpdated(conversation={})  # type: ignore[call-arg]


def test_a_failed_publisher_is_logged_with_the_event_and_the_others_still_go_out(ctx, caplog):
    alice = agents.create_agent("alice@example.com", "Alice", "password-1")
    token = agents.issue_api_token(alice, "bot")
    client = socketio.test_client(ctx, namespace="/agent", auth={"token": token})
    client.get_received("/agent")
    broken = events.Activity(conversation={}, activity={"id": "line-1"})  # no conversation id
    events.record(db.session, broken)
    events.record(db.session, events.AgentRead(alice.id, "conversation-1", seq=4, unread=0))
    with caplog.at_level(logging.ERROR, logger="support.realtime"):
        db.session.commit()
    assert "could not publish Activity(conversation={'id': None}" in caplog.text
    heard = [(p["name"], p["args"][0]) for p in client.get_received("/agent")]
    assert ("inbox:read", {"conversation_id": "conversation-1", "seq": 4, "unread": 0}) in heard
    client.disconnect(namespace="/agent")
