"""Transcripts, exports, erasure, retention, reports and the audit log on the admin pages."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import inspect, select

from support.extensions import db
from support.models import Agent, AuditEvent, Conversation, Message, Visitor, utcnow
from support.services import reports, retention, settings
from tests.test_admin import PASSWORD, make_conversation, make_team, sign_in

DAY = datetime(2026, 3, 10, 9, 0, 0)


@pytest.fixture
def seeded(app):
    """A small, exactly known set of conversations; returns their ids by name."""
    with app.app_context():
        team = make_team()
        alice, bob = team["alice"], team["bob"]
        ids = {
            "refund": make_conversation(
                name="Rita Refund",
                email="rita@example.com",
                verified=True,
                assignee=alice,
                messages=[("visitor", "I want a REFUND for order 42"), ("agent", "Sure thing")],
                created=DAY,
                status="closed",
                rating=5,
                first_response_after=30,
                closed_after=600,
            ),
            "shipping": make_conversation(
                name="Sam Ship",
                email="sam@example.com",
                assignee=bob,
                messages=[
                    ("visitor", "Where is my parcel?"),
                    ("agent", "checking the refund policy", True),
                ],
                created=DAY + timedelta(days=1),
                rating=2,
                first_response_after=90,
                status="closed",
                closed_after=1200,
            ),
            "formula": make_conversation(
                name='=HYPERLINK("http://evil")',
                email="eve@example.com",
                messages=[
                    ("visitor", "=1+2"),
                    ("visitor", "+cmd"),
                    ("visitor", "-x"),
                    ("visitor", "@SUM(A1)"),
                    ("visitor", "\tTab"),
                    ("visitor", "\rCR"),
                ],
                created=DAY + timedelta(days=2),
            ),
            "percent": make_conversation(
                name="Pat",
                messages=[("visitor", "100% sure, under_score")],
                created=DAY + timedelta(days=3),
                assignee=alice,
                first_response_after=150,
            ),
        }
        return {key: c.id for key, c in ids.items()} | {"alice": alice.id, "bob": bob.id}


@pytest.fixture
def admin(app, seeded):
    client = app.test_client()
    sign_in(client, "admin@example.com")
    return client


def row_ids(client, query: str) -> list[str]:
    page = client.get("/admin/transcripts?" + query)
    assert page.status_code == 200, page.get_data(as_text=True)
    text = page.get_data(as_text=True)
    return [part.split('"')[0] for part in text.split('data-conversation-id="')[1:]]


def test_search_and_filters_return_exactly_the_right_conversations(admin, seeded):
    s = seeded
    assert set(row_ids(admin, "q=refund")) == {s["refund"], s["shipping"]}  # a note counts
    assert row_ids(admin, "q=refund+42") == [s["refund"]]  # every word must appear
    assert row_ids(admin, "q=SAM%40EXAMPLE") == [s["shipping"]]  # visitor email, any case
    assert row_ids(admin, "q=100%25") == [s["percent"]]  # % is literal
    assert row_ids(admin, "q=under_score") == [s["percent"]]
    assert row_ids(admin, "q=r_ta") == []  # _ is literal, not a wildcard
    assert set(row_ids(admin, "status=closed")) == {s["refund"], s["shipping"]}
    assert set(row_ids(admin, f"assignee={s['alice']}")) == {s["refund"], s["percent"]}
    assert row_ids(admin, "assignee=none") == [s["formula"]]
    assert row_ids(admin, "rating=2") == [s["shipping"]]
    assert row_ids(admin, "verified=true") == [s["refund"]]
    assert row_ids(admin, "since=2026-03-11&until=2026-03-12") == [s["formula"], s["shipping"]]
    assert row_ids(admin, "sort=oldest") == [s["refund"], s["shipping"], s["formula"], s["percent"]]
    assert row_ids(admin, "sort=oldest&per_page=2&page=2") == [s["formula"], s["percent"]]


def test_exports_with_assignee_me_are_the_list_the_asking_admin_sees(app, admin, seeded):
    """Issue 10, item 11: the export ran without knowing the agent, so "me" meant "nobody"
    and exported the unassigned conversations."""
    with app.app_context():
        me = db.session.scalar(select(Agent).where(Agent.email == "admin@example.com"))
        mine = make_conversation(
            name="Mine", assignee=me, messages=[("visitor", "hi")], created=DAY + timedelta(days=4)
        ).id
    assert row_ids(admin, "assignee=me") == [mine]
    page_export = admin.get("/admin/transcripts/export?format=csv&assignee=me")
    rows = list(csv.DictReader(io.StringIO(page_export.get_data(as_text=True))))
    assert {row["conversation_id"] for row in rows} == {mine}

    token = admin.post(
        "/api/v1/auth/token", json={"email": "admin@example.com", "password": PASSWORD}
    ).get_json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    listed = admin.get("/api/v1/conversations?assignee=me", headers=bearer).get_json()["items"]
    exported = json.loads(
        admin.get("/api/v1/exports/conversations?format=json&assignee=me", headers=bearer).get_data(
            as_text=True
        )
    )
    assert [c["id"] for c in listed] == [t["conversation"]["id"] for t in exported] == [mine]


def test_every_row_has_the_test_hook_and_user_text_is_escaped(admin):
    page = admin.get("/admin/transcripts").get_data(as_text=True)
    assert page.count('data-testid="transcript-row"') == 4
    assert "=HYPERLINK(&#34;http://evil&#34;)" in page or "=HYPERLINK(&quot;" in page


def test_bad_filters_are_explained(admin):
    answer = admin.get("/admin/transcripts?since=yesterday")
    assert answer.status_code == 400
    assert "since must be a date" in answer.get_data(as_text=True)


def test_transcript_page_shows_every_message_and_note_with_times(admin, seeded):
    page = admin.get(f"/admin/transcripts/{seeded['shipping']}").get_data(as_text=True)
    assert page.count('data-testid="transcript-message"') == 2
    assert 'data-private="true"' in page and "checking the refund policy" in page
    assert "2026-03-11 09:00:02 UTC" in page


def test_single_transcript_downloads(admin, seeded):
    for fmt, kind in (("txt", "text/plain"), ("csv", "text/csv"), ("json", "application/json")):
        answer = admin.get(f"/admin/transcripts/{seeded['refund']}/download?format={fmt}")
        assert answer.status_code == 200 and answer.mimetype == kind
        assert "attachment" in answer.headers["Content-Disposition"]
    assert (
        admin.get(f"/admin/transcripts/{seeded['refund']}/download?format=pdf").status_code == 400
    )


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_filtered_export_csv_cannot_start_a_formula(admin, seeded):
    answer = admin.get("/admin/transcripts/export?format=csv&q=eve")
    assert answer.is_streamed and answer.mimetype == "text/csv"
    rows = _cells(answer.get_data(as_text=True))
    assert rows[0][:3] == ["conversation_id", "conversation_created_at", "status"]
    assert len(rows) == 1 + 6
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    bodies = [row[-1] for row in rows[1:]]
    assert bodies == ["'=1+2", "'+cmd", "'-x", "'@SUM(A1)", "'\tTab", "'\rCR"]
    assert rows[1][3] == '\'=HYPERLINK("http://evil")'


def test_filtered_export_json_holds_exactly_the_matches(admin, seeded):
    answer = admin.get("/admin/transcripts/export?format=json&status=closed")
    data = json.loads(answer.get_data(as_text=True))
    assert {item["conversation"]["id"] for item in data} == {seeded["refund"], seeded["shipping"]}
    notes = [m for item in data for m in item["messages"] if m["private"]]
    assert [n["body"] for n in notes] == ["checking the refund policy"]


def test_delete_conversation_removes_it_and_clears_the_visitor(app, admin, seeded):
    assert admin.post(f"/admin/transcripts/{seeded['refund']}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Conversation, seeded["refund"]) is None
        assert (
            db.session.scalars(
                select(Message).where(Message.conversation_id == seeded["refund"])
            ).all()
            == []
        )
        assert (
            db.session.scalars(select(Visitor).where(Visitor.email == "rita@example.com")).all()
            == []
        )


def _database_text(app, *, skip: tuple[str, ...] = ()) -> str:
    """Every value in every table (but ``skip``), as one string."""
    with app.app_context():
        chunks = []
        for table in inspect(db.engine).get_table_names():
            if table in skip:
                continue
            for row in db.session.execute(db.text(f'SELECT * FROM "{table}"')):  # noqa: S608
                chunks.append(repr(tuple(row)))
        return "\n".join(chunks)


def test_erasure_leaves_nothing_of_the_visitor_in_the_database(app, admin, seeded):
    with app.app_context():
        visitor_id = db.session.get(Conversation, seeded["refund"]).visitor_id
    before = _database_text(app)
    assert visitor_id in before and "rita@example.com" in before
    assert admin.post(f"/admin/visitors/{visitor_id}/erase").status_code == 302
    after = _database_text(app)
    for trace in ("rita@example.com", "Rita Refund", "REFUND for order 42", "Sure thing"):
        assert trace not in after, trace
    # Only the audit log names the erased id (who erased what, and when); nothing personal.
    assert visitor_id not in _database_text(app, skip=("audit_events",))
    with app.app_context():
        audit = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "visitor_erased")
        ).one()
        assert audit.target == visitor_id
    assert "sam@example.com" in after  # other visitors are untouched


def test_visitor_export_holds_everything_stored_about_them(app, admin, seeded):
    with app.app_context():
        visitor_id = db.session.get(Conversation, seeded["shipping"]).visitor_id
    answer = admin.get(f"/admin/visitors/{visitor_id}/export")
    assert "attachment" in answer.headers["Content-Disposition"]
    data = json.loads(answer.get_data(as_text=True))
    assert data["visitor"]["email"] == "sam@example.com"
    assert data["visitor"]["ip_address"] == "203.0.113.7"
    assert [c["conversation"]["id"] for c in data["conversations"]] == [seeded["shipping"]]


# --- retention ---------------------------------------------------------------------------------


def test_retention_purges_only_closed_conversations_past_the_setting(ctx):
    now = utcnow()
    old_closed = make_conversation(
        name="Old",
        messages=[("visitor", "hi")],
        status="closed",
        created=now - timedelta(days=40),
        closed_after=3600,
    )
    recent_closed = make_conversation(
        name="Recent",
        messages=[("visitor", "hi")],
        status="closed",
        created=now - timedelta(days=10),
        closed_after=3600,
    )
    old_open = make_conversation(
        name="Still open", messages=[("visitor", "hi")], created=now - timedelta(days=90)
    )
    ids = [old_closed.id, recent_closed.id, old_open.id]
    assert retention.purge_expired() is None  # no setting: keep everything
    assert all(db.session.get(Conversation, i) for i in ids)
    settings.update_widget_settings({"retention_days": 30})
    assert retention.purge_expired() == 1
    db.session.expire_all()
    assert db.session.get(Conversation, ids[0]) is None
    assert db.session.get(Conversation, ids[1]) is not None
    assert db.session.get(Conversation, ids[2]) is not None
    assert db.session.scalars(select(Message).where(Message.conversation_id == ids[0])).all() == []


def test_retention_loop_purges_while_running(app, ctx):
    now = utcnow()
    old = make_conversation(
        messages=[("visitor", "hi")],
        status="closed",
        created=now - timedelta(days=5),
        closed_after=60,
    ).id
    settings.update_widget_settings({"retention_days": 1})
    rounds = []

    def sleep(seconds):
        rounds.append(seconds)
        raise KeyboardInterrupt  # stop after the first round

    with pytest.raises(KeyboardInterrupt):
        retention.run_forever(app, sleep, 3600)
    assert rounds == [3600]
    db.session.expire_all()
    assert db.session.get(Conversation, old) is None


# --- reports -----------------------------------------------------------------------------------


def test_report_figures_match_hand_computed_values(app, seeded):
    with app.app_context():
        report = reports.build_report(date(2026, 3, 10), date(2026, 3, 14))
    overall = report["overall"]
    assert [d["conversations"] for d in report["per_day"]] == [1, 1, 1, 1, 0]
    assert overall["conversations"] == 4
    # First responses 30, 90, 150 s: median 90; p90 = 90 + 0.8 * 60 = 138.
    assert overall["first_response_median"] == 90
    assert overall["first_response_p90"] == pytest.approx(138)
    # Resolutions 600, 1200 s: median 900; p90 = 600 + 0.9 * 600 = 1140.
    assert overall["resolution_median"] == 900
    assert overall["resolution_p90"] == pytest.approx(1140)
    assert overall["rating_average"] == 3.5
    assert overall["rating_distribution"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}
    by_agent = {row["agent"]["name"]: row for row in report["agents"]}
    assert by_agent["Alice Agent"]["conversations"] == 2
    assert by_agent["Alice Agent"]["first_response_median"] == 90  # 30 and 150
    assert by_agent["Alice Agent"]["rating_average"] == 5
    assert by_agent["Bob Agent"]["resolution_median"] == 1200
    with app.app_context():
        narrow = reports.build_report(date(2026, 3, 11), date(2026, 3, 11))
    assert narrow["overall"]["conversations"] == 1


def test_percentile_interpolates_between_ranks():
    assert reports.percentile([1, 2, 3, 4], 50) == 2.5
    assert reports.percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 90) == pytest.approx(91)
    assert reports.percentile([7], 90) == 7
    assert reports.percentile([], 50) is None


def test_reports_page_draws_charts(admin):
    page = admin.get("/admin/reports?since=2026-03-10&until=2026-03-14").get_data(as_text=True)
    assert page.count("<svg") == 3
    assert 'data-testid="report-conversations">4<' in page
    assert "1m 30s" in page  # the median first response
    assert admin.get("/admin/reports?since=2026-03-14&until=2026-03-10").status_code == 400


# --- audit log ---------------------------------------------------------------------------------


def test_audit_log_records_exports_deletions_and_sign_ins_and_filters(app, admin, seeded):
    admin.get(f"/admin/transcripts/{seeded['refund']}/download?format=csv")
    admin.post(f"/admin/transcripts/{seeded['percent']}/delete")
    page = admin.get("/admin/audit").get_data(as_text=True)
    for action in ("login", "transcript_exported", "conversation_deleted"):
        assert f"<code>{action}</code>" in page
    only = admin.get("/admin/audit?action=conversation_deleted").get_data(as_text=True)
    assert only.count('data-testid="audit-row"') == 1 and seeded["percent"] in only
    assert admin.post("/admin/audit").status_code == 405  # read-only


def test_seed_demo_fills_a_database_with_realistic_history(ctx):
    from support.cli_seed import seed_demo

    made = seed_demo(60, seed=7)
    assert made["conversations"] == 60
    assert db.session.query(Conversation).count() == 60
    assert db.session.query(Message).count() == made["messages"] >= 60
    assert db.session.query(Conversation).filter(Conversation.rating.isnot(None)).count() > 0
    assert db.session.query(Message).filter(Message.private.is_(True)).count() > 0
    seed_demo(5, seed=8)  # again: the team is reused, not duplicated
    assert db.session.query(Conversation).count() == 65
