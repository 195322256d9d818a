"""The dashboard's cookie opens ``/agent`` only with the page's CSRF token and never from
another origin, on every transport; JSONP polling is refused (issue 10, item 1). The attacks
are made with raw Engine.IO requests against a real server, as the review made them."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
import requests
import socketio
from flask.json.tag import TaggedJSONSerializer
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.helpers import SocketClient, cookie_socket, csrf_token, sign_in

EVIL = "http://evil.example"


class Polling:
    """One Engine.IO long-polling session, request by request, with the session's cookie."""

    def __init__(self, server, session: requests.Session, origin: str | None = None):
        self.url = server.url + "/socket.io/?EIO=4&transport=polling"
        self.session = session
        answer = session.get(self.url, headers=self._headers(origin), timeout=10)
        assert answer.status_code == 200 and answer.text.startswith("0"), answer.text
        self.sid = json.loads(answer.text[1:])["sid"]

    @staticmethod
    def _headers(origin: str | None) -> dict:
        return {"Origin": origin} if origin else {}

    def send(self, packet: str, origin: str | None = None) -> None:
        headers = {"Content-Type": "text/plain;charset=UTF-8", **self._headers(origin)}
        answer = self.session.post(
            f"{self.url}&sid={self.sid}", data=packet.encode(), headers=headers, timeout=10
        )
        assert answer.status_code == 200, answer.text

    def receive(self) -> list[str]:
        answer = self.session.get(f"{self.url}&sid={self.sid}", timeout=10)
        return answer.text.split("\x1e")

    def connect_agent(self, auth: dict, origin: str | None = None) -> str:
        """Send ``40/agent,<auth>`` and return the server's answer packet."""
        self.send("40/agent," + json.dumps(auth), origin)
        for packet in self.receive():
            if packet.startswith(("40/agent,", "44/agent,")):
                return packet
        raise AssertionError("no answer to the connect packet")


def signed_in(server) -> tuple[requests.Session, str]:
    """A signed-in agent's session (cookie) and its dashboard page's CSRF token."""
    session, _ = sign_in(server)
    return session, csrf_token(session, server.url + "/dashboard/")


def refused(packet: str) -> bool:
    return packet.startswith("44/agent,") and '"unauthorized"' in packet


def test_the_reviewed_attack_is_refused(server):
    """A handshake without Origin (a script tag), then the connect packet with a foreign
    Origin and the cookie: refused, with or without a token."""
    session, token = signed_in(server)
    assert refused(Polling(server, session).connect_agent({}, origin=EVIL))
    # Even the right token cannot come from another origin.
    assert refused(Polling(server, session).connect_agent({"csrf_token": token}, origin=EVIL))
    # The same steps from our own page connect.
    answer = Polling(server, session).connect_agent({"csrf_token": token}, origin=server.url)
    assert answer.startswith('40/agent,{"sid"'), answer


def test_a_sibling_subdomain_is_another_origin(server):
    session, token = signed_in(server)
    sibling = server.url.replace("127.0.0.1", "evil.127.0.0.1")
    assert refused(Polling(server, session, origin=sibling).connect_agent({"csrf_token": token}))


def test_jsonp_polling_is_refused(server):
    session, _ = signed_in(server)
    url = server.url + "/socket.io/?EIO=4&transport=polling"
    for suffix in ("&j=0", "&j=", "&j=abc"):
        assert session.get(url + suffix, timeout=10).status_code == 400
    polling = Polling(server, session)
    answer = session.get(f"{url}&sid={polling.sid}&j=0", timeout=10)
    assert answer.status_code == 400 and "___eio" not in answer.text


def test_the_cookie_without_the_pages_token_is_refused(server):
    session, token = signed_in(server)
    for auth in ({}, {"csrf_token": ""}, {"csrf_token": "forged"}, {"csrf_token": 7}):
        assert refused(Polling(server, session).connect_agent(auth, origin=server.url))
    # Another session's token does not fit this cookie.
    _, other_token = signed_in(server)
    assert refused(Polling(server, session).connect_agent({"csrf_token": other_token}))
    with pytest.raises(socketio.exceptions.ConnectionError):
        cookie_socket(server, session, csrf="")  # over WebSocket too


def old_csrf_token(server, session: requests.Session, age_seconds: int) -> str:
    """The page's token as Flask-WTF would have signed it ``age_seconds`` ago (the raw token
    comes from the session cookie, read with the test server's key)."""
    secret = server.env["SUPPORT_SECRET_KEY"]
    cookies = URLSafeTimedSerializer(
        secret,
        salt="cookie-session",
        serializer=TaggedJSONSerializer(),
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    raw = cookies.loads(session.cookies["session"])["csrf_token"]

    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age_seconds

    return URLSafeTimedSerializer(secret, salt="wtf-csrf-token", signer=Earlier).dumps(raw)


def test_the_pages_token_opens_the_socket_for_as_long_as_the_session_lasts(server):
    session, token = signed_in(server)
    for auth in ({"csrf_token": token}, {"csrf_token": old_csrf_token(server, session, 7200)}):
        answer = Polling(server, session).connect_agent(auth, origin=server.url)
        assert answer.startswith('40/agent,{"sid"'), answer
        socket = cookie_socket(server, session, csrf=auth["csrf_token"])
        try:
            assert "conversations" in socket.ok("inbox:list", {"view": "open"})
        finally:
            socket.close()


def test_api_tokens_need_neither_csrf_token_nor_origin(server):
    bot = SocketClient(server.url, "/agent", {"token": server.token("bob")}, origin=EVIL)
    try:
        assert "conversations" in bot.ok("inbox:list", {"view": "open"})
    finally:
        bot.close()
