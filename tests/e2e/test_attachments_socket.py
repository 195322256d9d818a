"""Attachments through a real server: uploads named by ``message:send`` on both namespaces,
delivered with signed links, and never leaking a private note's file to the visitor."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.attachment_files import pdf_bytes, png_bytes

pytestmark = pytest.mark.e2e


def _upload(server, path: str, token: str, data: bytes, name: str, content_type: str) -> dict:
    answer = requests.post(
        server.url + path,
        files={"file": (name, data, content_type)},
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["attachment"]


def visitor_upload(server, token, data, name, content_type):
    return _upload(server, "/api/widget/attachments", token, data, name, content_type)


def agent_upload(server, data, name, content_type, who="alice"):
    return _upload(server, "/api/v1/attachments", server.token(who), data, name, content_type)


def test_visitor_sends_an_image_with_an_empty_body_and_the_agent_gets_it(server):
    agent = server.agent("alice")
    visitor = server.visitor(name="Pia")
    try:
        image = visitor_upload(server, visitor.token, png_bytes(), "shot.png", "image/png")
        ack = visitor.ok(
            "message:send",
            {"client_id": uuid.uuid4().hex, "body": "", "attachment_ids": [image["id"]]},
        )
        assert [a["id"] for a in ack["message"]["attachments"]] == [image["id"]]
        seen = agent.wait_for("message:new", lambda m: m["id"] == ack["message"]["id"])
        link = seen["attachments"][0]
        assert link["name"] == "shot.png" and link["content_type"] == "image/png"
        served = requests.get(link["url"], timeout=10)
        assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
        # Plain messages carry an empty list; sync and conversation:get carry the files too.
        plain = visitor.ok("message:send", {"client_id": uuid.uuid4().hex, "body": "hi"})
        assert plain["message"]["attachments"] == []
        again = visitor.ok("conversation:get", {})["messages"]
        assert again[0]["attachments"][0]["id"] == image["id"]
    finally:
        agent.close()
        visitor.close()


def test_bad_attachment_ids_store_nothing(server):
    visitor = server.visitor(name="Quinn")
    other = server.new_visitor(name="Rex")
    try:
        theirs = visitor_upload(server, other["token"], png_bytes(), "a.png", "image/png")
        for ids in (["0" * 32], [theirs["id"]], ["x"] * 6, "nope"):
            ack = visitor.call(
                "message:send", {"client_id": uuid.uuid4().hex, "body": "", "attachment_ids": ids}
            )
            assert ack["ok"] is False
            assert ack["error"]["code"] in ("invalid_payload", "not_found")
        empty = visitor.call("message:send", {"client_id": uuid.uuid4().hex, "body": ""})
        assert empty["error"]["code"] == "invalid_payload"
        assert visitor.ok("conversation:get", {})["conversation"] is None
        mine = visitor_upload(server, visitor.token, png_bytes(), "b.png", "image/png")
        visitor.ok("message:send", {"client_id": "one", "body": "", "attachment_ids": [mine["id"]]})
        reused = visitor.call(
            "message:send", {"client_id": "two", "body": "x", "attachment_ids": [mine["id"]]}
        )
        assert reused["error"]["code"] == "invalid_payload"
    finally:
        visitor.close()


def test_agent_sends_a_pdf_and_the_visitor_downloads_it(server):
    agent = server.agent("alice")
    visitor = server.visitor(name="Sam")
    try:
        first = visitor.ok("message:send", {"client_id": uuid.uuid4().hex, "body": "invoice?"})
        conversation_id = first["conversation"]["id"]
        pdf = agent_upload(server, pdf_bytes(), "invoice.pdf", "application/pdf")
        sent = agent.ok(
            "message:send",
            {
                "conversation_id": conversation_id,
                "client_id": uuid.uuid4().hex,
                "body": "Here it is",
                "attachment_ids": [pdf["id"]],
            },
        )
        got = visitor.wait_for("message:new", lambda m: m["id"] == sent["message"]["id"])
        download = requests.get(got["attachments"][0]["url"], timeout=10)
        assert download.content == pdf_bytes()
        assert download.headers["Content-Disposition"].startswith("attachment")
        # A private note's file never reaches the visitor.
        secret = agent_upload(server, png_bytes(), "internal.png", "image/png")
        agent.ok(
            "message:send",
            {
                "conversation_id": conversation_id,
                "client_id": uuid.uuid4().hex,
                "body": "",
                "private": True,
                "attachment_ids": [secret["id"]],
            },
        )
        synced = visitor.ok("sync", {"after_seq": 0})["messages"]
        assert secret["id"] not in str(synced)
        # A visitor cannot send an agent's upload as its own.
        other = agent_upload(server, png_bytes(), "x.png", "image/png")
        stolen = visitor.call(
            "message:send", {"client_id": "s", "body": "", "attachment_ids": [other["id"]]}
        )
        assert stolen["ok"] is False
    finally:
        agent.close()
        visitor.close()


def test_too_large_upload_is_413_on_the_real_server(server):
    visitor = server.new_visitor(name="Big")
    answer = requests.post(
        server.url + "/api/widget/attachments",
        files={"file": ("big.txt", b"a" * (10485760 + 1), "text/plain")},
        headers={"Authorization": f"Bearer {visitor['token']}"},
        timeout=60,
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"
