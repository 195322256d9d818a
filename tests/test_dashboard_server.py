"""Sign-in and the dashboard's socket on a real ``support serve`` process: CSRF on, login
throttling, the printed first-admin link, and the cookie that must not open ``/agent`` from a
foreign origin (cross-site WebSocket hijacking)."""

from __future__ import annotations

import re
import time

import pytest
import requests
import socketio

from tests.helpers import AGENTS, PASSWORD, Server, SocketClient, csrf_token, sign_in


def test_sign_in_without_csrf_token_is_refused(server):
    session = requests.Session()
    session.get(server.url + "/login", timeout=10)  # a session, but no token in the form
    form = {"email": AGENTS["alice"]["email"], "password": PASSWORD}
    answer = session.post(server.url + "/login", data=form, allow_redirects=False, timeout=10)
    assert answer.status_code == 400
    assert (
        session.get(server.url + "/dashboard/", allow_redirects=False, timeout=10).status_code
        == 302
    )


def test_sign_in_with_csrf_token_opens_the_dashboard(server):
    session, answer = sign_in(server)
    assert answer.status_code == 302 and answer.headers["Location"] == "/dashboard/"
    assert session.get(server.url + "/dashboard/", timeout=10).status_code == 200


def test_logout_without_csrf_token_is_refused(server):
    session, _ = sign_in(server)
    assert (
        session.post(server.url + "/logout", allow_redirects=False, timeout=10).status_code == 400
    )
    assert (
        session.get(server.url + "/dashboard/", allow_redirects=False, timeout=10).status_code
        == 200
    )
    token = csrf_token(session, server.url + "/dashboard/")
    answer = session.post(
        server.url + "/logout", data={"csrf_token": token}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302
    assert (
        session.get(server.url + "/dashboard/", allow_redirects=False, timeout=10).status_code
        == 302
    )


def test_repeated_failures_are_throttled(server_factory):
    server = server_factory(SUPPORT_LIMIT_LOGIN="3/minute")
    for _ in range(3):
        assert sign_in(server, password="wrong-password")[1].status_code == 401
    _, answer = sign_in(server, password="wrong-password")
    assert answer.status_code == 429
    _, answer = sign_in(server)  # even the right password waits out the limit
    assert answer.status_code == 429
    assert "Too many failed sign-in attempts" in answer.text


def agent_socket(server, cookie: str, origin: str, csrf: str) -> SocketClient:
    """The way a script would try it: the cookie and an ``Origin`` header of its choice."""
    return SocketClient(
        server.url,
        "/agent",
        {"csrf_token": csrf},
        headers={"Cookie": f"session={cookie}", "Origin": origin},
    )


def browser_like_socket(server, cookie: str, origin: str, csrf: str) -> socketio.Client:
    """A WebSocket handshake with exactly one ``Origin`` header, as a browser sends it."""
    client = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin})
    client.connect(
        server.url,
        namespaces=["/agent"],
        headers={"Cookie": f"session={cookie}"},
        auth={"csrf_token": csrf},
        transports=["websocket"],
        wait_timeout=10,
    )
    return client


def test_agent_socket_refuses_the_session_cookie_from_a_foreign_origin(server):
    session, _ = sign_in(server)
    csrf = csrf_token(session, server.url + "/dashboard/")
    cookie = session.cookies["session"]
    with pytest.raises(socketio.exceptions.ConnectionError):
        agent_socket(server, cookie, "http://evil.example", csrf)
    with pytest.raises(socketio.exceptions.ConnectionError):
        browser_like_socket(server, cookie, "http://evil.example", csrf)
    own = browser_like_socket(server, cookie, server.url, csrf)
    try:
        ack = own.call("inbox:list", {"view": "unassigned"}, namespace="/agent", timeout=10)
        assert ack["ok"] is True and "conversations" in ack
    finally:
        own.disconnect()


def test_agent_socket_accepts_the_session_cookie_with_its_own_origin_header(server):
    # python's websocket-client adds an Origin of its own, so the server sees two, joined by a
    # comma; both name the server here, and the cookie must be accepted.
    session, _ = sign_in(server)
    csrf = csrf_token(session, server.url + "/dashboard/")
    own = agent_socket(server, session.cookies["session"], server.url, csrf)
    try:
        assert "conversations" in own.ok("inbox:list", {"view": "unassigned"})
    finally:
        own.close()


def test_agent_socket_refuses_a_signed_out_cookie(server):
    session, _ = sign_in(server)
    cookie = session.cookies["session"]
    token = csrf_token(session, server.url + "/dashboard/")
    session.post(server.url + "/logout", data={"csrf_token": token}, timeout=10)
    with pytest.raises(socketio.exceptions.ConnectionError):
        agent_socket(server, session.cookies.get("session") or "", server.url, token)
    assert cookie  # the old cookie existed; logging out replaced it


def test_printed_setup_link_creates_the_first_admin_once(tmp_path):
    server = Server.start(tmp_path, seed=False)
    try:
        deadline = time.monotonic() + 10
        while not (match := re.search(r"https?://\S+/setup/(\S+)", server.log.read_text())):
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.1)
        link = f"{server.url}/setup/{match.group(1)}"
        session = requests.Session()
        form = {
            "name": "First Admin",
            "email": "first@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "csrf_token": csrf_token(session, link),
        }
        answer = session.post(link, data=form, allow_redirects=False, timeout=10)
        assert answer.status_code == 302 and answer.headers["Location"] == "/dashboard/"
        assert (
            'data-testid="admin-link"' in session.get(server.url + "/dashboard/", timeout=10).text
        )
        assert requests.get(link, timeout=10).status_code == 404
        token = requests.post(
            server.url + "/api/v1/auth/token",
            json={"email": "first@example.com", "password": PASSWORD},
            timeout=10,
        ).json()
        assert token["agent"]["admin"] is True
    finally:
        server.discard()
