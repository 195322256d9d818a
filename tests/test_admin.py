"""The admin pages: who may open them, agents, widget settings and canned responses."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from support.extensions import db
from support.models import Agent, AuditEvent, Conversation, Message, SetupToken, Visitor
from support.services import agents, settings

PASSWORD = "correct-horse-battery"


# --- shared helpers (imported by the other admin test modules) ----------------------------------


def make_team() -> dict[str, Agent]:
    """An admin and two agents."""
    return {
        "admin": agents.create_agent("admin@example.com", "Ada Admin", PASSWORD, is_admin=True),
        "alice": agents.create_agent("alice@example.com", "Alice Agent", PASSWORD),
        "bob": agents.create_agent("bob@example.com", "Bob Agent", PASSWORD),
    }


def sign_in(client, email: str) -> None:
    answer = client.post("/login", data={"email": email, "password": PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)


def make_conversation(
    *,
    name=None,
    email=None,
    verified=False,
    messages=(),
    created=None,
    status="open",
    assignee=None,
    rating=None,
    first_response_after=None,
    closed_after=None,
) -> Conversation:
    """A stored conversation with exact times: ``messages`` are ``(sender_type, body)`` or
    ``(sender_type, body, private)``; ``*_after`` are seconds after ``created``."""
    created = created or datetime(2026, 3, 10, 12, 0, 0)
    visitor = Visitor(
        name=name,
        email=email,
        verified=verified,
        ip_address="203.0.113.7",
        user_agent="Mozilla/5.0",
        page_url="https://shop.example/cart",
        first_seen_at=created,
        last_seen_at=created,
    )
    conversation = Conversation(
        visitor=visitor,
        status=status,
        assignee=assignee,
        rating=rating,
        created_at=created,
        updated_at=created,
        last_seq=len(messages),
        first_response_at=created + timedelta(seconds=first_response_after)
        if first_response_after is not None
        else None,
        closed_at=created + timedelta(seconds=closed_after) if closed_after is not None else None,
    )
    db.session.add(conversation)
    db.session.flush()
    for seq, spec in enumerate(messages, start=1):
        sender_type, body, private = (*spec, False)[:3]
        who = assignee if sender_type == "agent" else None
        db.session.add(
            Message(
                conversation_id=conversation.id,
                seq=seq,
                client_id=f"c{seq}",
                sender_type=sender_type,
                sender_id=who.id if who else visitor.id,
                sender_name=who.name if who else name,
                body=body,
                private=private,
                created_at=created + timedelta(seconds=seq),
            )
        )
    if messages:
        conversation.preview = messages[-1][1][:140]
    db.session.commit()
    return conversation


@pytest.fixture
def team(app) -> dict[str, str]:
    """The team's ids. No app context stays pushed: requests get sessions of their own."""
    with app.app_context():
        return {key: agent.id for key, agent in make_team().items()}


@pytest.fixture
def admin_client(app, team):
    client = app.test_client()
    sign_in(client, "admin@example.com")
    return client


@pytest.fixture
def agent_client(app, team):
    client = app.test_client()
    sign_in(client, "alice@example.com")
    return client


def admin_routes(app) -> list[tuple[str, str]]:
    """Every (method, path) of the admin blueprint with placeholder ids, invite page aside."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin.") or rule.endpoint == "admin.accept_invite":
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<{arg}>", "x" * 32)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


# --- who may open the admin pages --------------------------------------------------------------


ADMIN_PAGES = [
    "/admin/",
    "/admin/agents",
    "/admin/settings",
    "/admin/canned",
    "/admin/routing",
    "/admin/attachments",
    "/admin/transcripts",
    "/admin/reports",
    "/admin/audit",
    "/admin/webhooks",
    "/admin/mail",
]


def test_admin_routes_cover_every_page(app):
    paths = {path for _, path in admin_routes(app)}
    for expected in ADMIN_PAGES:
        assert expected in paths


def test_anonymous_is_sent_to_sign_in_on_every_admin_route(app, client):
    for method, path in admin_routes(app):
        answer = client.open(path, method=method)
        assert answer.status_code == 302, (method, path)
        assert "/login" in answer.headers["Location"], (method, path)


def test_agent_is_refused_on_every_admin_route(app, agent_client):
    for method, path in admin_routes(app):
        answer = agent_client.open(path, method=method)
        assert answer.status_code == 403, (method, path)


def test_agents_get_a_styled_forbidden_page_with_a_way_back(agent_client):
    answer = agent_client.get("/admin/")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 403 and "Admins only" in page
    assert 'href="/dashboard/"' in page and "/static/admin/admin." in page
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]


def test_admin_opens_every_page_with_a_strict_policy(admin_client):
    for path in (
        "/admin/",
        "/admin/agents",
        "/admin/settings",
        "/admin/canned",
        "/admin/transcripts",
        "/admin/reports",
        "/admin/audit",
    ):
        answer = admin_client.get(path)
        assert answer.status_code == 200, path
        policy = answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_deactivated_admin_loses_access(app, admin_client, team):
    with app.app_context():
        # Another admin first: the last active admin cannot be deactivated.
        agents.create_agent("second@example.com", "Second Admin", PASSWORD, is_admin=True)
        agents.set_active(db.session.get(Agent, team["admin"]), False, actor=None)
    answer = admin_client.get("/admin/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


# --- widget settings ---------------------------------------------------------------------------


def settings_form(**changes) -> dict:
    """The settings form as the page posts it, from the defaults, with ``changes``."""
    form = {
        "brand_name": "Tech Souls",
        "brand_tagline": "Tech Souls, Connected.",
        "brand_color": "#1f6feb",
        "layout_position": "right",
        "contact_intro": "Ask us anything.",
        "contact_phone": "+1 202 555 0180",
        "contact_email": "hello@techsouls.example",
        "social_network": ["facebook", "x", ""],
        "social_url": ["https://www.facebook.com/techsouls", "https://x.com/techsouls", ""],
        "social_label": ["Facebook", "X", ""],
        "chat_greeting": "Hi!",
        "chat_offline_message": "We're away.",
        "hours_timezone": "Europe/Paris",
        "allowed_origins": "",
        "retention_days": "",
    }
    form.update(changes)
    return form


def test_saved_settings_reach_the_widget_config(admin_client, client):
    answer = admin_client.post(
        "/admin/settings",
        data=settings_form(
            contact_phone="+44 20 7946 0958",
            brand_name="Acme <Help>",
            social_network=["mastodon", "facebook"],
            social_url=["https://mastodon.social/@acme", "https://www.facebook.com/acme"],
            social_label=["Mastodon", "Facebook"],
            prechat_email="1",
            prechat_email_required="1",
            hours_enabled="1",
            hours_mon_open="09:00",
            hours_mon_close="17:30",
        ),
    )
    assert answer.status_code == 302
    config = client.get("/api/widget/config").get_json()
    assert config["contact"]["phone"] == "+44 20 7946 0958"
    assert config["brand"]["name"] == "Acme <Help>"
    assert [s["network"] for s in config["contact"]["socials"]] == ["mastodon", "facebook"]
    assert config["contact"]["socials"][0]["url"] == "https://mastodon.social/@acme"
    assert config["chat"]["greeting"] == "Hi!"
    assert config["chat"]["prechat_fields"] == [
        {"name": "email", "label": "Your email", "required": True}
    ]
    assert config["hours"] == {
        "enabled": True,
        "timezone": "Europe/Paris",
        "days": {"mon": {"open": "09:00", "close": "17:30"}},
    }
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    assert "Acme &lt;Help&gt;" in page and "Acme <Help>" not in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"social_url": ["javascript:alert(1)", "https://x.com/t", ""]},
            "contact.socials.0.url",
            "http:// or https://",
        ),
        (
            {"social_url": ["ftp://files.example", "https://x.com/t", ""]},
            "contact.socials.0.url",
            "http:// or https://",
        ),
        ({"contact_phone": "call me maybe"}, "contact.phone", "digits"),
        ({"contact_email": "not-an-email"}, "contact.email", "email address"),
        ({"brand_color": "red"}, "brand.color", "colour"),
        ({"brand_name": "  "}, "brand.name", "required"),
        ({"hours_timezone": "Mars/Olympus_Mons"}, "hours.timezone", "time zone"),
        ({"hours_tue_open": "18:00", "hours_tue_close": "09:00"}, "hours.days.tue", "close"),
        ({"allowed_origins": "https://shop.example/path"}, "allowed_origins", "origin"),
        ({"allowed_origins": "https://a.example; script-src 'none'"}, "allowed_origins", "origin"),
        ({"allowed_origins": "https://a.example:99999"}, "allowed_origins", "origin"),
        ({"retention_days": "-3"}, "retention_days", "1 to 3650"),
        ({"layout_position": "middle"}, "layout.position", "left or right"),
    ],
)
def test_invalid_settings_rerender_with_a_message_and_change_nothing(
    admin_client, client, changes, field, message
):
    before = client.get("/api/widget/config").get_json()
    answer = admin_client.post("/admin/settings", data=settings_form(**changes))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert f"{field}: " in page and message in page
    assert client.get("/api/widget/config").get_json() == before


def test_social_links_can_be_removed_and_reordered(admin_client, client):
    admin_client.post(
        "/admin/settings",
        data=settings_form(
            social_network=["x", "", "facebook"],
            social_url=["https://x.com/t", "", "https://facebook.com/t"],
            social_label=["X", "", "FB"],
        ),
    )
    socials = client.get("/api/widget/config").get_json()["contact"]["socials"]
    assert [(s["network"], s["label"]) for s in socials] == [("x", "X"), ("facebook", "FB")]


def test_allowed_origins_and_retention_are_saved(app, admin_client):
    admin_client.post(
        "/admin/settings",
        data=settings_form(
            allowed_origins="https://shop.example\nhttp://localhost:8000/", retention_days="30"
        ),
    )
    with app.app_context():
        assert settings.allowed_origins("*") == ["https://shop.example", "http://localhost:8000"]
        assert settings.widget_settings()["retention_days"] == 30


def test_settings_change_is_audited(app, admin_client):
    admin_client.post("/admin/settings", data=settings_form())
    with app.app_context():
        actions = [e.action for e in db.session.query(AuditEvent)]
    assert "settings_changed" in actions


# --- agents ------------------------------------------------------------------------------------


def test_agent_created_with_an_invite_link_sets_its_own_password(app, admin_client):
    answer = admin_client.post(
        "/admin/agents",
        data={"name": "Nina New", "email": "nina@example.com", "role": "agent", "setup": "invite"},
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    link = page.split('data-testid="invite-link" value="')[1].split('"')[0]
    path = "/admin/invite/" + link.rsplit("/", 1)[1]
    anonymous = app.test_client()
    assert anonymous.get(path).status_code == 200
    bad = anonymous.post(path, data={"password": "short", "confirm": "short"})
    assert bad.status_code == 400
    assert anonymous.post(path, data={"password": PASSWORD, "confirm": PASSWORD}).status_code == 200
    assert anonymous.get(path).status_code == 404  # used once
    sign_in(anonymous, "nina@example.com")


def test_agent_created_with_a_password_and_duplicate_refused(admin_client):
    form = {
        "name": "Pat",
        "email": "pat@example.com",
        "role": "admin",
        "setup": "password",
        "password": PASSWORD,
    }
    assert admin_client.post("/admin/agents", data=form).status_code == 302
    again = admin_client.post("/admin/agents", data=form)
    assert again.status_code == 409
    assert "already exists" in again.get_data(as_text=True)


def test_edit_role_reset_password_and_deactivate(app, admin_client, team):
    alice = team["alice"]
    alice_client = app.test_client()
    sign_in(alice_client, "alice@example.com")
    assert (
        admin_client.post(
            f"/admin/agents/{alice}", data={"name": "Alice A.", "role": "admin"}
        ).status_code
        == 302
    )
    assert alice_client.get("/admin/").status_code == 200  # now an admin
    assert (
        admin_client.post(
            f"/admin/agents/{alice}/password", data={"setup": "password", "password": "x"}
        ).status_code
        == 400
    )
    assert (
        admin_client.post(
            f"/admin/agents/{alice}/password",
            data={"setup": "password", "password": "a-new-password"},
        ).status_code
        == 302
    )
    assert alice_client.get("/admin/").status_code == 302  # signed out everywhere
    assert (
        admin_client.post(f"/admin/agents/{alice}/active", data={"active": "0"}).status_code == 302
    )
    with app.app_context():
        stored = db.session.get(Agent, alice)
        assert (stored.name, stored.is_admin, stored.active) == ("Alice A.", True, False)
        assert agents.authenticate("alice@example.com", "a-new-password") is None
    assert (
        admin_client.post(f"/admin/agents/{alice}/active", data={"active": "1"}).status_code == 302
    )
    with app.app_context():
        assert agents.authenticate("alice@example.com", "a-new-password") is not None


def test_last_admin_cannot_be_demoted_or_deactivated(app, admin_client, team):
    me = team["admin"]
    assert (
        admin_client.post(f"/admin/agents/{me}", data={"name": "Ada", "role": "agent"}).status_code
        == 403
    )
    assert admin_client.post(f"/admin/agents/{me}/active", data={"active": "0"}).status_code == 403
    with app.app_context():
        assert db.session.get(Agent, me).is_admin


def test_api_token_is_shown_once_listed_and_revoked(app, admin_client, team):
    bob = team["bob"]
    answer = admin_client.post(f"/admin/agents/{bob}/tokens", data={"label": "CRM sync"})
    token = answer.get_data(as_text=True).split('data-testid="new-token" value="')[1].split('"')[0]
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/conversations", headers=headers).status_code == 200
    page = admin_client.get(f"/admin/agents/{bob}").get_data(as_text=True)
    assert "CRM sync" in page and token not in page
    with app.app_context():
        token_id = agents.list_tokens(db.session.get(Agent, bob))[0].id
    admin_client.post(f"/admin/agents/{bob}/tokens/{token_id}/revoke")
    assert app.test_client().get("/api/v1/conversations", headers=headers).status_code == 401


def test_setup_token_rows_of_invites_are_marked_used(app, admin_client, team):
    alice = team["alice"]
    admin_client.post(f"/admin/agents/{alice}/password", data={"setup": "invite"})
    admin_client.post(f"/admin/agents/{alice}/password", data={"setup": "invite"})
    with app.app_context():
        rows = db.session.query(SetupToken).filter_by(agent_id=alice).all()
        assert sorted(r.used_at is None for r in rows) == [False, True]  # only the newest works


# --- canned responses --------------------------------------------------------------------------


def test_canned_responses_crud_with_validation(app, admin_client):
    assert (
        admin_client.post(
            "/admin/canned", data={"shortcut": "Bad Shortcut", "title": "t", "body": "b"}
        ).status_code
        == 400
    )
    assert (
        admin_client.post(
            "/admin/canned", data={"shortcut": "hours", "title": "Hours", "body": "We open at <9>."}
        ).status_code
        == 302
    )
    page = admin_client.get("/admin/canned").get_data(as_text=True)
    assert "/hours" in page and "We open at &lt;9&gt;." in page
    from support.services import canned

    with app.app_context():
        row_id = canned.list_responses()[0].id
    assert (
        admin_client.post(
            f"/admin/canned/{row_id}",
            data={"shortcut": "opening", "title": "Hours", "body": "9 to 5"},
        ).status_code
        == 302
    )
    with app.app_context():
        assert [(r.shortcut, r.body) for r in canned.list_responses()] == [("opening", "9 to 5")]
    admin_client.post(f"/admin/canned/{row_id}/delete")
    with app.app_context():
        assert canned.list_responses() == []
