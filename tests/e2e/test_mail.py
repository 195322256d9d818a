"""Mail end to end: a real server and a real SMTP server (aiosmtpd). The unread-reply delay is
shortened to a second (``SUPPORT_MAIL_UNREAD_DELAY_SECONDS``)."""

from __future__ import annotations

import re
import time
import uuid

import pytest
import requests

from tests.receivers import MailReceiver, html_part, text_part

pytestmark = pytest.mark.e2e

PAGE = "http://shop.example/products/42?ref=mail"


@pytest.fixture(scope="module")
def smtp():
    receiver = MailReceiver(refuse=("bounce@example.com",))
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def mail_server(server_factory, smtp):
    return server_factory(
        SUPPORT_SMTP_URL=smtp.url,
        SUPPORT_MAIL_FROM="help@shop.example",
        SUPPORT_MAIL_UNREAD_DELAY_SECONDS="1",
        SUPPORT_OUTBOX_POLL_SECONDS="0.2",
        SUPPORT_OUTBOX_FIRST_RETRY_SECONDS="0.5",
    )


def mails_to(smtp, address: str, count: int = 1, timeout: float = 15) -> list:
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in smtp.messages if address in str(m["To"])]
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(found)} of {count} mails to {address} arrived")
        time.sleep(0.1)


def no_mail_to(smtp, address: str, wait: float = 3.0) -> None:
    time.sleep(wait)
    assert [m for m in smtp.messages if address in str(m["To"])] == []


def start_chat(server, email: str, **profile):
    """A visitor who left ``email`` and wrote once, and the agent's socket and conversation id."""
    visitor = server.visitor(email=email, page_url=PAGE, **profile)
    sent = visitor.ok("message:send", {"client_id": "v1", "body": "Is it in stock?"})
    return visitor, server.agent("alice"), sent["conversation"]["id"]


def reply(agent, conversation_id: str, client_id: str, body: str, private: bool = False) -> dict:
    """An agent's message; ``client_id`` is made unique (an agent's ids span conversations)."""
    client_id = f"{client_id}-{uuid.uuid4().hex[:8]}"
    payload = {"conversation_id": conversation_id, "client_id": client_id, "body": body}
    return agent.ok("message:send", payload | {"private": private})["message"]


def link(text: str, path: str) -> str:
    return re.search(rf"https?://\S+{path}/\S+", text).group(0)


def test_an_unread_reply_is_mailed_with_a_link_that_restores_the_chat(mail_server, smtp):
    visitor, agent, conversation_id = start_chat(mail_server, "offline@example.com")
    visitor.close()  # the visitor left
    reply(agent, conversation_id, "a1", "Yes, we have 3 left.")
    reply(agent, conversation_id, "n1", "internal: check stock", private=True)
    [mail] = mails_to(smtp, "offline@example.com")
    text = text_part(mail)
    assert "Yes, we have 3 left." in text and "internal" not in text
    assert "Yes, we have 3 left." in html_part(mail)
    assert mail["From"] == "help@shop.example"
    assert mail["List-Unsubscribe"]
    resume = link(text, "/widget/return")
    answer = requests.get(resume, allow_redirects=False, timeout=10)
    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert location.startswith(PAGE + "#support-resume=")
    token = location.split("#support-resume=", 1)[1]
    exchanged = requests.post(
        mail_server.url + "/api/widget/resume", json={"token": token}, timeout=10
    )
    assert exchanged.status_code == 200
    restored = mail_server.visitor(token=exchanged.json()["token"])
    got = restored.ok("conversation:get", {})
    assert got["conversation"]["id"] == conversation_id
    assert [m["body"] for m in got["messages"]] == ["Is it in stock?", "Yes, we have 3 left."]
    forged = requests.post(
        mail_server.url + "/api/widget/resume", json={"token": token + "x"}, timeout=10
    )
    assert forged.status_code == 401
    restored.close()
    agent.close()


def test_a_reply_read_in_time_is_not_mailed(mail_server, smtp):
    visitor, agent, conversation_id = start_chat(mail_server, "reader@example.com")
    message = reply(agent, conversation_id, "a1", "Read me quickly")
    visitor.ok("messages:read", {"seq": message["seq"]})
    no_mail_to(smtp, "reader@example.com")
    visitor.close()
    agent.close()


def test_replies_close_together_are_batched_into_one_mail(server_factory, smtp):
    server = server_factory(
        SUPPORT_SMTP_URL=smtp.url,
        SUPPORT_MAIL_UNREAD_DELAY_SECONDS="3",
        SUPPORT_OUTBOX_POLL_SECONDS="0.2",
    )
    visitor, agent, conversation_id = start_chat(server, "batch@example.com", locale="fr-FR")
    visitor.close()
    for n in range(3):
        reply(agent, conversation_id, f"b{n}", f"Part {n}")
    [first] = mails_to(smtp, "batch@example.com")
    assert all(f"Part {n}" in text_part(first) for n in range(3))
    assert "Nouvelle réponse" in str(first["Subject"])  # the visitor's language
    reply(agent, conversation_id, "b3", "One more thing")
    second = mails_to(smtp, "batch@example.com", 2)[1]
    assert "One more thing" in text_part(second) and "Part 0" not in text_part(second)
    agent.close()


def test_one_click_unsubscribe_stops_mails_about_the_conversation(mail_server, smtp):
    visitor, agent, conversation_id = start_chat(mail_server, "leave-me@example.com")
    visitor.close()
    reply(agent, conversation_id, "a1", "First answer")
    [mail] = mails_to(smtp, "leave-me@example.com")
    answer = requests.get(link(text_part(mail), "/mail/unsubscribe"), timeout=10)
    assert answer.status_code == 200 and "unsubscribed" in answer.text
    reply(agent, conversation_id, "a2", "Second answer")
    time.sleep(3)
    assert len(mails_to(smtp, "leave-me@example.com")) == 1
    agent.close()


def test_transcript_email_sends_the_public_transcript(mail_server, smtp):
    visitor, agent, conversation_id = start_chat(mail_server, "transcript@example.com")
    reply(agent, conversation_id, "a1", "Here is the answer", private=False)
    reply(agent, conversation_id, "n1", "secret note", private=True)
    agent.ok("conversation:close", {"conversation_id": conversation_id})
    assert visitor.call("transcript:email", {}) == {"ok": True}
    assert visitor.call("transcript:email", {"email": "friend@example.com"}) == {"ok": True}
    [mine] = [m for m in mails_to(smtp, "transcript@example.com") if "Here is your" in text_part(m)]
    [theirs] = mails_to(smtp, "friend@example.com")
    for mail in (mine, theirs):
        text = text_part(mail)
        assert "Is it in stock?" in text and "Here is the answer" in text
        assert "secret note" not in text and "secret note" not in html_part(mail)
    assert visitor.call("transcript:email", {})["ok"] is True
    limited = visitor.call("transcript:email", {})
    assert limited["ok"] is False and limited["error"]["code"] == "rate_limited"
    bad = visitor.call("transcript:email", {"email": "not-an-address"})
    assert bad["error"]["code"] == "invalid_payload"
    visitor.close()
    agent.close()


def test_transcript_email_without_an_address_is_invalid(mail_server):
    visitor = mail_server.visitor()
    visitor.ok("message:send", {"client_id": "x", "body": "no email here"})
    answer = visitor.call("transcript:email", {})
    assert answer["ok"] is False and answer["error"]["code"] == "invalid_payload"
    visitor.close()


def test_a_refused_address_never_breaks_the_conversation(mail_server, smtp):
    visitor, agent, conversation_id = start_chat(mail_server, "bounce@example.com")
    reply(agent, conversation_id, "a1", "This mail will bounce")
    time.sleep(2.5)  # the mail was attempted and refused
    reply(agent, conversation_id, "a2", "Still chatting")
    got = visitor.ok("sync", {"after_seq": 0})
    assert [m["body"] for m in got["messages"]][-1] == "Still chatting"
    visitor.ok("message:send", {"client_id": "v2", "body": "Yes I am here"})
    assert "recipient refused" in mail_server.log.read_text()
    visitor.close()
    agent.close()
