"""The outbox, mail settings and the admin pages for webhooks and mail, in-process. Mails go to
a real SMTP server (aiosmtpd) or, without ``SUPPORT_SMTP_URL``, to the log."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from flask import Flask

from support import create_app
from support.cli import upgrade_schema
from support.extensions import db
from support.models import Agent, Conversation, OutboxItem, utcnow
from support.ratelimit import limiter
from support.services import agent_mail, mail, outbox, webhooks
from support.services.outbox import Claimed, Outcome
from tests.receivers import MailReceiver, text_part
from tests.test_admin import make_conversation, make_team, sign_in


@pytest.fixture
def smtp():
    receiver = MailReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def mail_app(tmp_path, database_url, smtp):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret-key",
            "ASYNC_MODE": "threading",
            "WTF_CSRF_ENABLED": False,
            "SMTP_URL": smtp.url,
            "PUBLIC_URL": "https://support.example",
        }
    )
    with app.app_context():
        upgrade_schema(app)
        limiter.reset()
        yield app
        db.session.remove()
        db.engine.dispose()


def waiting_conversation(minutes_ago: int, assignee: Agent | None = None) -> Conversation:
    conversation = make_conversation(
        name="Wanda Waiting",
        messages=[("visitor", "Hello? Anyone there?")],
        created=utcnow() - timedelta(minutes=minutes_ago),
        assignee=assignee,
    )
    conversation.unread_by_agents = 1
    conversation.last_message_at = conversation.created_at
    db.session.commit()
    return conversation


def test_agents_who_want_them_are_mailed_once_about_a_waiting_visitor(mail_app, smtp):
    team = make_team()
    agent_mail.save_mail_settings(5, "all")
    mail.set_opt_out(f"agent:{team['bob'].id}", True)
    waiting = waiting_conversation(minutes_ago=10)
    waiting_conversation(minutes_ago=1)  # not waiting long enough yet
    assert agent_mail.enqueue_waiting_alerts() == 1
    assert agent_mail.enqueue_waiting_alerts() == 0  # once per waiting message
    assert outbox.run_once() == 1
    [message] = smtp.wait_for(1)
    assert sorted(str(message["To"]).split(", ")) == ["admin@example.com", "alice@example.com"]
    assert "Wanda Waiting has been waiting 5 minutes" in str(message["Subject"])
    # the link opens that conversation: the dashboard reads #c=<id> (conversation.js)
    assert f"https://support.example/dashboard/#c={waiting.id}" in text_part(message)


def test_a_visitor_name_cannot_add_mail_headers(mail_app, smtp):
    make_team()
    agent_mail.save_mail_settings(5, "all")
    conversation = waiting_conversation(minutes_ago=10)
    conversation.visitor.name = "Eve\r\nBcc: victim@example.com"
    db.session.commit()
    agent_mail.enqueue_waiting_alerts()
    outbox.run_once()
    [message] = smtp.wait_for(1)
    assert message["Bcc"] is None and "Eve Bcc:" in str(message["Subject"])


def test_the_assignee_alone_is_mailed_when_the_setting_says_so(mail_app, smtp):
    team = make_team()
    agent_mail.save_mail_settings(5, "assignee")
    waiting_conversation(minutes_ago=10, assignee=team["alice"])
    assert agent_mail.enqueue_waiting_alerts() == 1
    outbox.run_once()
    [message] = smtp.wait_for(1)
    assert str(message["To"]) == "alice@example.com"


def test_no_waiting_mails_until_an_admin_sets_the_minutes(mail_app):
    make_team()
    waiting_conversation(minutes_ago=600)
    assert agent_mail.enqueue_waiting_alerts() == 0
    with pytest.raises(Exception, match="1 to 1440"):
        agent_mail.save_mail_settings("0", "all")


def test_without_smtp_mails_are_written_to_the_log(ctx, caplog):
    conversation = make_conversation(email="log@example.com", messages=[("visitor", "hi there")])
    mail.request_transcript(conversation.visitor, conversation, None)
    with caplog.at_level(logging.INFO, logger="support.mail"):
        assert outbox.run_once() == 1
    assert "mail (no SUPPORT_SMTP_URL set, not sent) to log@example.com" in caplog.text
    assert db.session.query(OutboxItem).one().status == "sent"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://user:p%40ss@mail.example:2525?starttls=true",
            {
                "MAIL_SERVER": "mail.example",
                "MAIL_PORT": 2525,
                "MAIL_USERNAME": "user",
                "MAIL_PASSWORD": "p@ss",
                "MAIL_USE_TLS": True,
                "MAIL_USE_SSL": False,
            },
        ),
        (
            "smtps://mail.example",
            {"MAIL_PORT": 465, "MAIL_USE_SSL": True, "MAIL_USE_TLS": False, "MAIL_USERNAME": None},
        ),
    ],
)
def test_smtp_url_configures_the_mailer(url, expected):
    app = Flask("t")
    app.config.update(SMTP_URL=url, MAIL_FROM=None)
    mail.configure(app)
    assert {key: app.config[key] for key in expected} == expected
    assert app.config["MAIL_DEFAULT_SENDER"].startswith("support@")


def test_retries_grow_from_under_a_minute_and_give_up_after_more_than_a_day(ctx):
    delays = [outbox.retry_delay(n) for n in range(1, 12)]
    assert delays[0] <= timedelta(minutes=1)
    assert delays == sorted(delays) and max(delays) == timedelta(hours=6)
    item = outbox.enqueue("mail", {"template": "transcript"})
    db.session.commit()
    row = Claimed(item.id, "mail", {}, 1, None, None)
    outbox.record(row, Outcome(error="down"))
    db.session.commit()
    assert item.status == "pending" and item.next_attempt_at > utcnow()
    item.created_at = utcnow() - timedelta(hours=25)
    outbox.record(row, Outcome(error="down"))
    assert item.status == "pending"  # still inside the window: more than a day
    item.created_at = utcnow() - timedelta(hours=27)
    outbox.record(row, Outcome(error="down"))
    assert item.status == "failed"


def test_a_claimed_row_is_not_claimed_again_until_its_lease_ends(ctx):
    outbox.enqueue("mail", {"template": "transcript"})
    db.session.commit()
    assert len(outbox.claim_due()) == 1
    assert outbox.claim_due() == []


def test_an_endpoint_failing_for_too_long_is_disabled_with_an_audit_note(app, ctx):
    app.config["WEBHOOK_DISABLE_AFTER_SECONDS"] = 0
    webhook = webhooks.create_webhook("https://hooks.example/x", ["message.created"])
    item = outbox.enqueue(
        "webhook", {"type": "message.created", "body": "{}"}, webhook_id=webhook.id
    )
    db.session.commit()
    webhooks.after_attempt(item, Outcome(error="HTTP 500", response_code=500))
    db.session.commit()
    assert webhook.active is False
    from support.services import audit

    [event] = audit.recent(action="webhook_disabled")
    assert event.target == "https://hooks.example/x"


# --- pages ---------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(app):
    with app.app_context():
        make_team()
    client = app.test_client()
    sign_in(client, "admin@example.com")
    return client


def test_admin_adds_a_webhook_sees_its_secret_once_and_deletes_it(app, admin_client):
    page = admin_client.get("/admin/webhooks")
    assert page.status_code == 200 and "conversation.rated" in page.get_data(as_text=True)
    added = admin_client.post(
        "/admin/webhooks",
        data={
            "url": "https://hooks.example/in",
            "events": ["message.created", "conversation.closed"],
        },
    )
    html = added.get_data(as_text=True)
    assert added.status_code == 200 and "whsec_" in html
    with app.app_context():
        [webhook] = webhooks.list_webhooks()
        assert webhook.events == ["message.created", "conversation.closed"]
        webhook_id = webhook.id
    assert "whsec_" not in admin_client.get("/admin/webhooks").get_data(as_text=True)
    assert admin_client.get(f"/admin/webhooks/{webhook_id}").status_code == 200
    bad = admin_client.post(
        "/admin/webhooks", data={"url": "javascript:alert(1)", "events": ["message.created"]}
    )
    assert bad.status_code == 400
    admin_client.post(f"/admin/webhooks/{webhook_id}/delete")
    with app.app_context():
        assert webhooks.list_webhooks() == []


def test_admin_saves_the_waiting_mail_setting(app, admin_client):
    answer = admin_client.post(
        "/admin/mail", data={"notify_waiting_minutes": "15", "notify_waiting_to": "assignee"}
    )
    assert answer.status_code == 302
    with app.app_context():
        assert agent_mail.mail_settings() == {
            "notify_waiting_minutes": 15,
            "notify_waiting_to": "assignee",
        }
    assert admin_client.post("/admin/mail", data={"notify_waiting_minutes": "x"}).status_code == 400


def test_an_agent_turns_their_own_waiting_mails_off(app, admin_client):
    client = app.test_client()
    sign_in(client, "alice@example.com")
    assert "checked" in client.get("/dashboard/preferences").get_data(as_text=True)
    client.post("/dashboard/preferences", data={})
    with app.app_context():
        alice = db.session.query(Agent).filter_by(email="alice@example.com").one()
        assert mail.opted_out(f"agent:{alice.id}")
    client.post("/dashboard/preferences", data={"waiting_mails": "1"})
    with app.app_context():
        assert not mail.opted_out(f"agent:{alice.id}")


def test_finished_rows_are_forgotten_after_thirty_days(ctx):
    old, recent, waiting = (outbox.enqueue("mail", {}) for _ in range(3))
    old.status = recent.status = "sent"
    old.created_at = waiting.created_at = utcnow() - timedelta(days=31)
    db.session.commit()
    assert outbox.prune() == 1
    assert {row.id for row in db.session.query(OutboxItem)} == {recent.id, waiting.id}


def test_openapi_describes_the_webhook_routes(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get", "post"} <= set(paths["/webhooks"])
    assert "delete" in paths["/webhooks/{webhook_id}"]
    assert "/webhooks/{webhook_id}/deliveries" in paths


def test_send_outbox_command_sends_what_is_due(tmp_path):
    from tests.test_cli import support as run_support

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "k", "ASYNC_MODE": "threading"})
    with app.app_context():
        upgrade_schema(app)
        outbox.enqueue("mail", {"template": "no-such-template"})
        db.session.commit()
        db.engine.dispose()
    done = run_support(tmp_path, "send-outbox")
    assert done.returncode == 0, done.stderr
    assert "Attempted 1 outbox item" in done.stdout
    assert (
        "Attempted 0 outbox items" in run_support(tmp_path, "send-outbox").stdout
    )  # failed for good


def test_admin_redelivers_from_the_webhook_page(app, admin_client):
    with app.app_context():
        webhook = webhooks.create_webhook("https://hooks.example/r", ["message.created"])
        item = outbox.enqueue(
            "webhook", {"type": "message.created", "body": "{}"}, webhook_id=webhook.id
        )
        item.status, item.attempts, item.response_code = "failed", 3, 500
        db.session.commit()
        webhook_id, item_id = webhook.id, item.id
    page = admin_client.get(f"/admin/webhooks/{webhook_id}").get_data(as_text=True)
    assert "delivery-row" in page and "500" in page and "Redeliver" in page
    answer = admin_client.post(f"/admin/webhooks/{webhook_id}/deliveries/{item_id}/redeliver")
    assert answer.status_code == 302
    with app.app_context():
        assert db.session.get(OutboxItem, item_id).status == "pending"


def test_mail_links_unsubscribe_by_get_or_one_click_post_and_expire(app, client):
    with app.app_context():
        conversation = make_conversation(email="links@example.com", messages=[("visitor", "hi")])
        token = mail.unsubscribe_token(conversation.id)
        resume = mail.resume_token(conversation.visitor.id, conversation.id)
        conversation_id = conversation.id
    assert client.post(f"/mail/unsubscribe/{token}").status_code == 200
    assert client.get(f"/mail/unsubscribe/{token}x").status_code == 404
    with app.app_context():
        assert mail.opted_out(f"conversation:{conversation_id}")
    followed = client.get(f"/widget/return/{resume}")
    assert followed.status_code == 303
    assert followed.headers["Location"] == f"https://shop.example/cart#support-resume={resume}"
    app.config["MAIL_LINK_MAX_AGE_SECONDS"] = -1
    assert client.get(f"/widget/return/{resume}").status_code == 410
    assert client.post("/api/widget/resume", json={"token": resume}).status_code == 401


def test_deleting_a_conversation_takes_its_mails_and_deliveries_along(ctx):
    from support.services import transcripts

    kept = make_conversation(email="kept@example.com", messages=[("visitor", "keep")])
    gone = make_conversation(email="gone@example.com", messages=[("visitor", "forget me")])
    for conversation in (kept, gone):
        mail.request_transcript(conversation.visitor, conversation, None)
    transcripts.delete_conversation(gone)
    [left] = db.session.query(OutboxItem).all()
    assert left.conversation_id == kept.id
