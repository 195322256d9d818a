"""Services own each admin operation end to end (Zulip's "actions"): called with the acting
agent, they check, change, write the audit entry (who, what, on what, from where) and commit
once; when the check fails, neither the change nor the entry is written. In-process, on the real
database."""

from __future__ import annotations

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from support.extensions import db
from support.models import Agent, AuditEvent, CannedResponse, Webhook
from support.services import (
    agents,
    attachments,
    canned,
    conversations,
    exports,
    settings,
    transcripts,
    visitors,
    webhooks,
)
from support.services.audit import Actor
from support.services.errors import Conflict, Forbidden, InvalidPayload, Unauthorized

PASSWORD = "password-1"


@pytest.fixture
def admin(ctx) -> Agent:
    return agents.create_agent("root@example.com", "Root", PASSWORD, is_admin=True)


@pytest.fixture
def actor(admin) -> Actor:
    return Actor(admin, "203.0.113.5")


def entries(action: str | None = None) -> list[AuditEvent]:
    """The audit log as committed: read afresh, after whatever the service left behind."""
    db.session.rollback()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def test_creating_an_agent_is_audited_with_who_from_where(admin, actor):
    agent = agents.create_agent("Pat@Example.com", "Pat", PASSWORD, actor=actor)
    [entry] = entries()
    assert (entry.actor_id, entry.actor_name, entry.ip_address) == (admin.id, "Root", actor.ip)
    assert (entry.action, entry.target) == ("agent_created", "pat@example.com")
    assert entry.detail == {"admin": False, "invite": False}
    assert db.session.get(Agent, agent.id).email == "pat@example.com"


def test_an_invite_creates_the_agent_its_link_and_one_entry(actor):
    agent, token = agents.invite_agent("new@example.com", "New", actor=actor)
    [entry] = entries()
    assert entry.action == "agent_created" and entry.detail == {"admin": False, "invite": True}
    assert agents.invited_agent(token).id == agent.id


def test_a_refused_agent_writes_neither_agent_nor_entry(actor):
    with pytest.raises(Conflict):
        agents.create_agent("root@example.com", "Again", PASSWORD, actor=actor)
    with pytest.raises(InvalidPayload):
        agents.create_agent("short@example.com", "Short", "short", actor=actor)
    assert entries() == []
    assert agents.find_by_email("short@example.com") is None


def test_an_update_is_checked_whole_before_anything_changes(actor):
    pat = agents.create_agent("pat@example.com", "Pat", PASSWORD)
    with pytest.raises(InvalidPayload):
        agents.update_agent(pat, {"name": "Renamed", "password": "short"}, actor=actor)
    assert entries() == []
    assert db.session.get(Agent, pat.id).name == "Pat"


def test_each_kind_of_change_gets_its_entry_in_one_commit(actor):
    pat = agents.create_agent("pat@example.com", "Pat", PASSWORD)
    version = pat.session_version
    changes = {"name": "Patricia", "password": "password-2", "capacity": 3, "active": False}
    agents.update_agent(pat, changes, actor=actor)
    log = [(e.action, e.target, e.detail) for e in entries()]
    assert log == [
        ("agent_updated", "pat@example.com", {"name": "Patricia", "admin": False}),
        ("password_reset", "pat@example.com", None),
        ("agent_updated", "pat@example.com", {"capacity": 3}),
        ("agent_deactivated", "pat@example.com", None),
    ]
    stored = db.session.get(Agent, pat.id)
    assert (stored.name, stored.capacity, stored.active) == ("Patricia", 3, False)
    assert stored.session_version > version  # its sessions ended
    assert agents.authenticate("pat@example.com", "password-2") is None  # inactive


def test_the_last_admin_keeps_its_rights_on_every_path(admin, actor):
    with pytest.raises(Forbidden):
        agents.set_active(admin, False, actor=actor)
    with pytest.raises(Forbidden):
        agents.update_agent(admin, {"admin": False}, actor=actor)
    assert entries() == []
    stored = db.session.get(Agent, admin.id)
    assert stored.active and stored.is_admin
    agents.create_agent("other@example.com", "Other", PASSWORD, is_admin=True)
    agents.set_active(admin, False, actor=actor)
    assert [e.action for e in entries()] == ["agent_deactivated"]


def test_tokens_are_audited_by_label_and_id(actor):
    pat = agents.create_agent("pat@example.com", "Pat", PASSWORD)
    with pytest.raises(InvalidPayload):
        agents.create_token(pat, "  ", actor=actor)
    plain, row = agents.create_token(pat, " CRM ", actor=actor)
    assert agents.agent_for_token(plain).id == pat.id and row.label == "CRM"
    agents.revoke_token(pat, row.id, actor=actor)
    assert agents.agent_for_token(plain) is None
    log = [(e.action, e.detail) for e in entries()]
    assert log == [("token_created", {"label": "CRM"}), ("token_revoked", {"token_id": row.id})]


def test_entries_made_through_the_api_say_so(admin):
    api = Actor(admin, "198.51.100.1", via="api")
    canned.create_response("hi", "Hello", "Hello there", actor=api)
    [entry] = entries()
    assert (entry.action, entry.target, entry.detail) == ("canned_created", "/hi", {"via": "api"})


def test_a_refused_canned_response_writes_nothing(actor):
    canned.create_response("hi", "Hello", "Hello there", actor=actor)
    with pytest.raises(Conflict):
        canned.create_response("hi", "Again", "Another", actor=actor)
    assert [e.action for e in entries()] == ["canned_created"]
    assert db.session.query(CannedResponse).count() == 1


def test_settings_are_audited_only_when_saved(actor):
    with pytest.raises(settings.SettingsInvalid):
        settings.update_widget_settings({"brand": {"name": ""}}, actor=actor)
    assert entries() == []
    settings.update_widget_settings({"brand": {"name": "Tech Souls"}}, actor=actor)
    [entry] = entries()
    assert (entry.target, entry.detail) == ("widget", {"brand": "Tech Souls"})


def test_attachment_types_and_webhooks_are_audited(actor):
    with pytest.raises(InvalidPayload):
        attachments.save_allowed_types(["application/x-nothing"], actor=actor)
    with pytest.raises(InvalidPayload):
        webhooks.create_webhook("ftp://hooks.example/x", ["message.created"], actor=actor)
    assert entries() == [] and db.session.query(Webhook).count() == 0
    attachments.save_allowed_types(["image/png"], actor=actor)
    hook = webhooks.create_webhook("https://hooks.example/x", ["message.created"], actor=actor)
    webhooks.delete_webhook(hook.id, actor=actor)
    log = [(e.action, e.target) for e in entries()]
    assert log == [
        ("settings_changed", "attachments"),
        ("webhook_created", "https://hooks.example/x"),
        ("webhook_deleted", "https://hooks.example/x"),
    ]


def _visitor_with_a_conversation():
    visitor = visitors.create_visitor(
        {"name": "Erin"}, identity_secret=None, user_agent=None, ip_address=None
    )
    _, conversation = conversations.post_visitor_message(visitor, "1", "hello")
    return visitor, conversation


def test_exports_and_erasure_name_only_ids(actor):
    visitor, conversation = _visitor_with_a_conversation()
    visitor_id, conversation_id = visitor.id, conversation.id
    with pytest.raises(InvalidPayload):
        exports.transcript_file(conversation_id, "pdf", actor=actor)
    download = exports.transcript_file(conversation_id, "txt", actor=actor)
    assert "hello" in download.body and download.filename == f"conversation-{conversation_id}.txt"
    assert '"name": "Erin"' in exports.visitor_file(visitor_id, actor=actor).body
    assert transcripts.erase_visitor(visitor, actor=actor) == 1
    log = [(e.action, e.target, e.detail) for e in entries()]
    assert log == [
        ("transcript_exported", conversation_id, {"format": "txt"}),
        ("visitor_exported", visitor_id, None),
        ("visitor_erased", visitor_id, {"conversations": 1}),
    ]


def test_an_export_checks_its_filters_before_it_is_audited(actor):
    from support.services.search import Search

    with pytest.raises(InvalidPayload):
        exports.conversations_file(Search(), "xml", actor=actor)
    with pytest.raises(InvalidPayload):
        exports.conversations_file(Search(status="lost"), "csv", actor=actor)
    assert entries() == []
    download = exports.conversations_file(Search(), "csv", actor=actor, filters={"q": "x"})
    assert download.filename == "conversations.csv"
    [entry] = entries()
    assert entry.detail == {"format": "csv", "filters": {"q": "x"}}


def test_dashboard_sign_ins_are_audited_and_api_ones_are_not(admin):
    with pytest.raises(Unauthorized):
        agents.sign_in("root@example.com", "wrong-guess", "192.0.2.1", audited=True)
    agents.sign_in("root@example.com", PASSWORD, "192.0.2.1", audited=True)
    agents.sign_in("root@example.com", PASSWORD, "192.0.2.1")
    log = [(e.action, e.actor_id, e.ip_address) for e in entries()]
    assert log == [("login_failed", None, "192.0.2.1"), ("login", admin.id, "192.0.2.1")]


class Commits:
    """Counts the commits of every session while it is open (``with Commits() as commits``)."""

    def __enter__(self):
        self.count = 0
        sa_event.listen(Session, "after_commit", self._count)
        return self

    def _count(self, session) -> None:
        self.count += 1

    def __exit__(self, *exc):
        sa_event.remove(Session, "after_commit", self._count)


def test_an_api_update_of_an_agent_commits_once(app, admin, client):
    pat = agents.create_agent("pat@example.com", "Pat", PASSWORD)
    headers = {"Authorization": f"Bearer {agents.issue_api_token(admin)}"}
    body = {"name": "Patricia", "admin": True, "password": "password-2", "active": False}
    client.get("/api/v1/agents", headers=headers)  # the token's first use records itself
    with Commits() as commits:
        answer = client.patch(f"/api/v1/agents/{pat.id}", json=body, headers=headers)
    assert answer.status_code == 200 and answer.get_json()["agent"]["active"] is False
    assert commits.count == 1
    details = [(e.action, e.actor_id, (e.detail or {}).get("via")) for e in entries()]
    assert details == [
        ("agent_updated", admin.id, "api"),
        ("password_reset", admin.id, "api"),
        ("agent_deactivated", admin.id, "api"),
    ]


def test_an_api_update_refused_by_the_service_changes_nothing(app, admin, client):
    pat = agents.create_agent("pat@example.com", "Pat", PASSWORD)
    headers = {"Authorization": f"Bearer {agents.issue_api_token(admin)}"}
    body = {"name": "Patricia", "password": "short"}
    answer = client.patch(f"/api/v1/agents/{pat.id}", json=body, headers=headers)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["message"] == "password must be at least 8 characters"
    assert entries() == [] and db.session.get(Agent, pat.id).name == "Pat"
