"""Sign-in, sign-out, the first-admin link and the dashboard page, through the Flask test client
(CSRF is off in the ``app`` fixture; ``test_dashboard_server.py`` covers it on a real server)."""

from __future__ import annotations

import re

import pytest

from support.extensions import db
from support.models import AuditEvent
from support.services import agents

PASSWORD = "a-good-password"


@pytest.fixture
def alice(ctx):
    return agents.create_agent("alice@example.com", "Alice Agent", PASSWORD).id


def sign_in(client, email="alice@example.com", password=PASSWORD, **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


def test_dashboard_sends_anonymous_visitors_to_sign_in(client):
    answer = client.get("/dashboard/")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login?next=")


def test_login_page_has_the_contract_fields_and_strict_headers(client):
    answer = client.get("/login")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert 'name="email"' in html and 'name="password"' in html
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy
    assert answer.headers["X-Frame-Options"] == "DENY"


def test_wrong_password_is_refused_with_a_message(client, alice):
    answer = sign_in(client, password="not-the-password")
    assert answer.status_code == 401
    assert "Wrong email or password" in answer.get_data(as_text=True)
    assert client.get("/dashboard/").status_code == 302
    assert db.session.query(AuditEvent).filter_by(action="login_failed").count() == 1


def test_sign_in_renews_the_session_and_is_audited(client, alice):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    answer = sign_in(client, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/dashboard/"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    with client.session_transaction() as session:
        assert "planted" not in session
    event = db.session.query(AuditEvent).filter_by(action="login").one()
    assert (event.actor_id, event.ip_address) == (alice, "203.0.113.9")


def test_session_cookie_is_secure_over_https(client, alice):
    answer = sign_in(client, base_url="https://support.example")
    assert "Secure" in answer.headers["Set-Cookie"]


def test_dashboard_page_has_the_shell_and_no_inline_script(client, alice):
    sign_in(client)
    answer = client.get("/dashboard/")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None
    assert html.count('data-testid="claim"') == 1
    assert html.count('data-testid="reply-input"') == 1
    assert 'data-testid="admin-link"' not in html  # alice is no admin


def test_admin_sees_the_admin_link(client, ctx):
    agents.create_agent("root@example.com", "Root", PASSWORD, is_admin=True)
    sign_in(client, "root@example.com")
    assert 'data-testid="admin-link"' in client.get("/dashboard/").get_data(as_text=True)


def test_deactivated_agent_cannot_sign_in(client, alice):
    agents.set_active(agents.get_agent(alice), False, actor=None)
    assert sign_in(client).status_code == 401


def test_deactivation_ends_an_open_session(client, alice):
    sign_in(client)
    assert client.get("/dashboard/").status_code == 200
    agents.set_active(agents.get_agent(alice), False, actor=None)
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_sign_in_never_redirects_off_site(client, alice, target):
    answer = client.post(
        "/login?next=" + target, data={"email": "alice@example.com", "password": PASSWORD}
    )
    assert answer.headers["Location"] == "/dashboard/"


def test_sign_in_returns_to_a_local_next_page(client, alice):
    answer = client.post(
        "/login?next=/dashboard/%23c=abc", data={"email": "alice@example.com", "password": PASSWORD}
    )
    assert answer.headers["Location"] == "/dashboard/#c=abc"


def test_logout_is_a_post_that_ends_the_session(client, alice):
    sign_in(client)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/dashboard/").status_code == 302


def test_failures_elsewhere_never_lock_an_account_out(client, alice):
    # The app fixture keeps the default limit of 10 attempts a minute.
    for _ in range(10):
        stranger = {"REMOTE_ADDR": "198.51.100.7"}
        answer = sign_in(client, password="wrong-guess", environ_base=stranger)
        assert answer.status_code == 401
    assert sign_in(client, environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 429
    answer = sign_in(client, environ_base={"REMOTE_ADDR": "198.51.100.200"})
    assert answer.status_code == 302


def test_failures_are_throttled_per_address_across_accounts(client, alice):
    for n in range(10):
        assert sign_in(client, email=f"guess{n}@example.com").status_code == 401
    assert sign_in(client).status_code == 429


def test_setup_link_creates_the_first_admin_once(client, ctx):
    token = agents.create_setup_token()
    assert client.get(f"/setup/{token}").status_code == 200
    form = {
        "name": "First Admin",
        "email": "first@example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    answer = client.post(f"/setup/{token}", data=form)
    assert answer.status_code == 302 and answer.headers["Location"] == "/dashboard/"
    admin = agents.find_by_email("first@example.com")
    assert admin is not None and admin.is_admin
    assert client.get("/dashboard/").status_code == 200  # signed in as the new admin
    assert client.get(f"/setup/{token}").status_code == 404
    again = dict(form, email="second@example.com")
    assert client.post(f"/setup/{token}", data=again).status_code == 404
    assert agents.count_agents() == 1


def test_setup_form_refuses_mismatched_passwords(client, ctx):
    token = agents.create_setup_token()
    form = {"name": "A", "email": "a@example.com", "password": PASSWORD, "confirm": "different-one"}
    answer = client.post(f"/setup/{token}", data=form)
    assert answer.status_code == 200
    assert "The passwords differ." in answer.get_data(as_text=True)
    assert agents.count_agents() == 0


def test_unknown_setup_token_is_not_found(client):
    assert client.get("/setup/not-a-token").status_code == 404
