"""Attacks on the limits keyed by client address, from outside: a real server and clients on
distinct loopback addresses (127.0.0.2, 127.0.0.3, ...), with and without a trusted proxy."""

from __future__ import annotations

import pytest
import requests

from tests.helpers import AGENTS, PASSWORD, session_from

pytestmark = pytest.mark.e2e

ADMIN = AGENTS["admin"]["email"]


def _sign_in(session, url: str, email: str, password: str, **headers) -> int:
    answer = session.post(
        url + "/api/v1/auth/token",
        json={"email": email, "password": password},
        headers=headers,
        timeout=10,
    )
    return answer.status_code


@pytest.fixture(scope="module")
def direct(server_factory):
    """No proxy in front: X-Forwarded-* must be ignored."""
    return server_factory(SUPPORT_LIMIT_LOGIN="3/minute", SUPPORT_LIMIT_NEW_VISITORS="2/minute")


@pytest.fixture(scope="module")
def proxied(server_factory):
    """As behind one nginx: one trusted hop of X-Forwarded-For/-Proto/-Host."""
    return server_factory(
        SUPPORT_TRUSTED_PROXIES="1",
        SUPPORT_LIMIT_LOGIN="3/minute",
        SUPPORT_LIMIT_NEW_VISITORS="2/minute",
    )


def test_a_stranger_guessing_cannot_lock_an_agent_out(direct):
    stranger, agent = session_from("127.0.0.2"), session_from("127.0.0.3")
    for _ in range(5):
        _sign_in(stranger, direct.url, ADMIN, "wrong-password")
    for number in range(5):
        _sign_in(stranger, direct.url, f"made-up-{number}@example.com", "wrong-password")
    assert _sign_in(stranger, direct.url, ADMIN, PASSWORD) == 429
    assert _sign_in(agent, direct.url, ADMIN, PASSWORD) == 200


def test_behind_a_trusted_proxy_each_client_has_its_own_limits(proxied, direct):
    _forwarded_headers_are_ignored_without_a_trusted_proxy(direct)
    proxy = requests.Session()  # every request comes from the proxy's own address

    def new_visitor(client: str) -> int:
        headers = {"X-Forwarded-For": client}
        answer = proxy.post(proxied.url + "/api/widget/visitors", json={}, headers=headers)
        return answer.status_code

    assert [new_visitor("203.0.113.1") for _ in range(3)] == [201, 201, 429]
    assert new_visitor("203.0.113.2") == 201
    for _ in range(4):
        _sign_in(proxy, proxied.url, ADMIN, "wrong", **{"X-Forwarded-For": "203.0.113.66"})
    stranger = {"X-Forwarded-For": "203.0.113.66"}
    assert _sign_in(proxy, proxied.url, ADMIN, PASSWORD, **stranger) == 429
    assert (
        _sign_in(proxy, proxied.url, ADMIN, PASSWORD, **{"X-Forwarded-For": "203.0.113.7"}) == 200
    )


def test_tls_terminated_at_a_trusted_proxy_gives_secure_cookies(proxied):
    login = requests.get(
        proxied.url + "/login",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
        timeout=10,
    )
    assert login.status_code == 200
    assert "; secure" in login.headers["Set-Cookie"].lower()


def _forwarded_headers_are_ignored_without_a_trusted_proxy(direct):
    """Any client can send X-Forwarded-*: without a trusted proxy they change nothing."""
    client = session_from("127.0.0.4")
    statuses = [
        client.post(
            direct.url + "/api/widget/visitors",
            json={},
            headers={"X-Forwarded-For": f"10.1.0.{n}"},
            timeout=10,
        ).status_code
        for n in range(3)
    ]
    assert statuses == [201, 201, 429]
    login = client.get(direct.url + "/login", headers={"X-Forwarded-Proto": "https"}, timeout=10)
    assert "secure" not in login.headers.get("Set-Cookie", "").lower()
