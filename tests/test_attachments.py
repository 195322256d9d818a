"""Attachments over HTTP (PROTOCOL §3) and their link to messages, through the test client on a
real database and the real storage folder."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from support.services import agents, attachments, conversations, transcripts, visitors
from support.services.errors import InvalidPayload
from tests.attachment_files import HTML_PAGE, gps_of, jpeg_with_gps, pdf_bytes, png_bytes


@pytest.fixture
def visitor_token(app, ctx):
    visitor = visitors.create_visitor(
        {"name": "Vera"}, identity_secret=None, user_agent="pytest", ip_address="10.0.0.9"
    )
    return visitors.issue_token(visitor, app.secret_key)


@pytest.fixture
def agent_token(ctx):
    agent = agents.create_agent("agent@example.com", "Agnes", "password-2")
    return agents.issue_api_token(agent)


def upload(client, token, data, name, content_type, path="/api/widget/attachments"):
    return client.post(
        path,
        data={"file": (io.BytesIO(data), name, content_type)},
        headers={"Authorization": f"Bearer {token}"},
        content_type="multipart/form-data",
    )


def stored_files(app) -> list[Path]:
    root = Path(app.instance_path) / "attachments"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_visitor_uploads_an_image_and_gets_a_signed_inline_link(app, client, visitor_token):
    answer = upload(client, visitor_token, png_bytes(), "screen.png", "image/png")
    assert answer.status_code == 201, answer.json
    attachment = answer.json["attachment"]
    assert set(attachment) >= {"id", "name", "size", "content_type", "url"}
    assert attachment["name"] == "screen.png" and attachment["content_type"] == "image/png"
    download = client.get(attachment["url"])
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"].startswith("sandbox")
    assert download.headers["Content-Disposition"].startswith("inline")
    assert len(download.data) == attachment["size"]


def test_html_renamed_to_png_is_refused(app, client, visitor_token):
    answer = upload(client, visitor_token, HTML_PAGE, "cat.png", "image/png")
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "invalid_payload"
    assert stored_files(app) == []


def test_html_renamed_to_txt_is_refused(client, visitor_token):
    answer = upload(client, visitor_token, HTML_PAGE, "notes.txt", "text/plain")
    assert answer.status_code == 400


def test_bytes_that_disagree_with_the_name_are_refused(client, visitor_token):
    answer = upload(client, visitor_token, png_bytes(), "report.pdf", "application/pdf")
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "invalid_payload"


def test_a_type_outside_the_allow_list_is_refused(app, client, visitor_token, agent_token):
    zipped = b"PK\x03\x04" + b"\x00" * 60
    assert upload(client, visitor_token, zipped, "a.zip", "application/zip").status_code == 400
    with app.app_context():
        attachments.save_allowed_types(["image/png"])
    answer = upload(client, visitor_token, pdf_bytes(), "a.pdf", "application/pdf")
    assert answer.status_code == 400


def test_jpeg_loses_its_gps_metadata(client, visitor_token):
    original = jpeg_with_gps()
    assert gps_of(original)
    answer = upload(client, visitor_token, original, "holiday.jpg", "image/jpeg")
    assert answer.status_code == 201
    served = client.get(answer.json["attachment"]["url"]).data
    assert served[:3] == b"\xff\xd8\xff"
    assert gps_of(served) == {}
    assert b"SpyCam" not in served


def test_too_large_is_413_before_storing(app, client, visitor_token):
    app.config["UPLOAD_MAX_BYTES"] = 1000
    answer = upload(client, visitor_token, b"a" * 1001, "big.txt", "text/plain")
    assert answer.status_code == 413
    assert answer.json["error"]["code"] == "payload_too_large"
    big = upload(client, visitor_token, b"a" * 100_000, "big.txt", "text/plain")
    assert big.status_code == 413
    assert stored_files(app) == []


def test_pdf_is_a_download_with_a_safe_header(client, agent_token):
    answer = upload(
        client, agent_token, pdf_bytes(), "Invoice é.pdf", "application/pdf", "/api/v1/attachments"
    )
    assert answer.status_code == 201
    download = client.get(answer.json["attachment"]["url"])
    assert download.status_code == 200 and download.data == pdf_bytes()
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Invoice%20%C3%A9.pdf" in download.headers["Content-Disposition"]


def test_uploads_need_the_right_token(client, visitor_token, agent_token):
    assert upload(client, "forged", png_bytes(), "a.png", "image/png").status_code == 401
    assert (
        upload(client, visitor_token, png_bytes(), "a.png", "image/png", "/api/v1/attachments")
    ).status_code == 401
    assert upload(client, agent_token, png_bytes(), "a.png", "image/png").status_code == 401


def test_expired_and_forged_links_are_refused(app, client, visitor_token):
    url = upload(client, visitor_token, png_bytes(), "a.png", "image/png").json["attachment"]["url"]
    token = url.rsplit("/", 1)[1]
    assert client.get(url[:-3] + ("abc" if not url.endswith("abc") else "abd")).status_code == 403
    assert client.get("/attachments/" + token[::-1]).status_code == 403
    app.config["ATTACHMENT_URL_SECONDS"] = 1
    time.sleep(2.2)
    expired = client.get(url)
    assert expired.status_code == 403 and expired.json["error"]["code"] == "forbidden"


def test_visitor_upload_budget(app, client, visitor_token):
    from support.ratelimit import limiter

    app.config["LIMIT_VISITOR_UPLOADS"] = "2/hour"
    limiter.init_app(app)
    codes = [
        upload(client, visitor_token, png_bytes(), "a.png", "image/png").status_code
        for _ in range(3)
    ]
    assert codes == [201, 201, 429]


def _visitor(token_owner_name="Vic"):
    return visitors.create_visitor(
        {"name": token_owner_name}, identity_secret=None, user_agent="t", ip_address="10.0.0.2"
    )


def _stored(uploader, name="a.png"):
    return attachments.store_upload(uploader, name, "image/png", png_bytes())


def test_message_links_own_unsent_uploads_only(ctx):
    vera, other = _visitor("Vera"), _visitor("Otto")
    mine = _stored(attachments.Uploader("visitor", vera.id))
    theirs = _stored(attachments.Uploader("visitor", other.id))
    with pytest.raises(InvalidPayload):
        conversations.post_visitor_message(vera, "c1", "", attachment_ids=[mine.id, theirs.id])
    assert conversations.current_conversation(vera) is None  # nothing stored
    message, _ = conversations.post_visitor_message(vera, "c2", "", attachment_ids=[mine.id])
    assert [a.id for a in message.attachments] == [mine.id]
    with pytest.raises(InvalidPayload):  # already sent
        conversations.post_visitor_message(vera, "c3", "again", attachment_ids=[mine.id])
    with pytest.raises(InvalidPayload):  # unknown
        conversations.post_visitor_message(vera, "c4", "x", attachment_ids=["0" * 32])


def test_attachments_appear_in_transcripts_and_exports(ctx):
    vera = _visitor("Vera")
    upload_ = _stored(attachments.Uploader("visitor", vera.id), "shot.png")
    _, conversation = conversations.post_visitor_message(
        vera, "c1", "see", attachment_ids=[upload_.id]
    )
    plain = conversations.post_visitor_message(vera, "c2", "no files")[0]
    exported = transcripts.transcript_json(conversation)
    assert exported["messages"][0]["attachments"][0]["name"] == "shot.png"
    assert exported["messages"][1]["attachments"] == []
    assert plain.id == exported["messages"][1]["id"]
    assert "shot.png" in transcripts.transcript_text(conversation)
    assert transcripts.visitor_export(vera)["attachments"] == 1


def test_erasure_and_delete_remove_the_files(app, ctx):
    vera = _visitor("Vera")
    sent = _stored(attachments.Uploader("visitor", vera.id))
    _stored(attachments.Uploader("visitor", vera.id))  # never sent
    _, conversation = conversations.post_visitor_message(vera, "c1", "", attachment_ids=[sent.id])
    assert len(stored_files(app)) == 2
    transcripts.erase_visitor(vera)
    assert stored_files(app) == []

    otto = _visitor("Otto")
    sent = _stored(attachments.Uploader("visitor", otto.id))
    _, conversation = conversations.post_visitor_message(otto, "c1", "", attachment_ids=[sent.id])
    transcripts.delete_conversation(conversation)
    assert stored_files(app) == []


def test_unsent_uploads_are_removed_after_a_day(app, ctx):
    from datetime import timedelta

    from support.extensions import db

    vera = _visitor("Vera")
    old = _stored(attachments.Uploader("visitor", vera.id))
    old.created_at -= timedelta(days=2)
    db.session.commit()
    _stored(attachments.Uploader("visitor", vera.id))
    assert attachments.delete_stale_unsent() == 1
    assert len(stored_files(app)) == 1


def test_admins_edit_the_allow_list(client, visitor_token, ctx):
    admin = agents.create_agent("root@example.com", "Root", "password-1", is_admin=True)
    headers = {"Authorization": f"Bearer {agents.issue_api_token(admin)}"}
    current = client.get("/api/v1/settings/attachments", headers=headers).json
    assert "application/pdf" in current["allowed_types"]
    bad = client.patch(
        "/api/v1/settings/attachments", json={"allowed_types": ["x/y"]}, headers=headers
    )
    assert bad.status_code == 400
    saved = client.patch(
        "/api/v1/settings/attachments", json={"allowed_types": ["image/png"]}, headers=headers
    )
    assert saved.json["allowed_types"] == ["image/png"]
    assert upload(client, visitor_token, pdf_bytes(), "a.pdf", "application/pdf").status_code == 400
    assert upload(client, visitor_token, png_bytes(), "a.png", "image/png").status_code == 201


def test_an_agent_downloads_a_conversations_files_as_a_zip(client, agent_token, ctx):
    import zipfile

    vera = _visitor("Vera")
    sent = _stored(attachments.Uploader("visitor", vera.id), "a/../../evil.png")
    _, conversation = conversations.post_visitor_message(vera, "c1", "", attachment_ids=[sent.id])
    answer = client.get(
        f"/api/v1/conversations/{conversation.id}/attachments.zip",
        headers={"Authorization": f"Bearer {agent_token}"},
    )
    assert answer.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(answer.data)).namelist()
    assert names == ["0001-1-evil.png"]
    anonymous = client.get(f"/api/v1/conversations/{conversation.id}/attachments.zip")
    assert anonymous.status_code == 401


def test_the_admin_transcript_page_links_the_files(app, ctx):
    from tests.test_admin import make_team, sign_in

    make_team()
    vera = _visitor("Vera")
    sent = _stored(attachments.Uploader("visitor", vera.id), "receipt.png")
    _, conversation = conversations.post_visitor_message(vera, "c1", "", attachment_ids=[sent.id])
    admin = app.test_client()
    sign_in(admin, "admin@example.com")
    page = admin.get(f"/admin/transcripts/{conversation.id}").get_data(as_text=True)
    assert 'data-testid="transcript-attachment"' in page and "receipt.png" in page
    assert "/attachments/" in page


def test_messages_load_their_attachments_in_one_query(ctx):
    from sqlalchemy import event

    from support.extensions import db

    vera = _visitor("Vera")
    for i in range(6):
        ids = [_stored(attachments.Uploader("visitor", vera.id)).id] if i % 2 else []
        _, conversation = conversations.post_visitor_message(
            vera, f"c{i}", "hi", attachment_ids=ids
        )
    conversation_id = conversation.id
    db.session.expunge_all()
    conversation = db.session.get(type(conversation), conversation_id)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        loaded = conversations.messages_after(conversation, 0, include_private=False)
        assert [len(m.attachments) for m in loaded] == [0, 1, 0, 1, 0, 1]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 2, statements


def test_purge_removes_the_files_and_the_inbox_previews_names(app, ctx):
    vera = _visitor("Vera")
    sent = _stored(attachments.Uploader("visitor", vera.id), "photo.png")
    _, conversation = conversations.post_visitor_message(vera, "c1", "", attachment_ids=[sent.id])
    assert conversation.preview == "\U0001f4ce photo.png"
    admin = agents.create_agent("root@example.com", "Root", "password-1", is_admin=True)
    conversations.close(admin, conversation.id)
    assert transcripts.purge_closed(0) == 1
    assert stored_files(app) == []


def test_a_polyglot_image_loses_what_it_hid(client, visitor_token):
    hidden = png_bytes() + HTML_PAGE
    answer = upload(client, visitor_token, hidden, "cat.png", "image/png")
    assert answer.status_code == 201
    served = client.get(answer.json["attachment"]["url"]).data
    assert served.startswith(b"\x89PNG") and b"<script>" not in served
