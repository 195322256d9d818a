"""Guarantee 8 across processes: a credential withdrawn on one server process closes, within a
second, the sockets it authorised on the other (two processes, one PostgreSQL, one Redis)."""

from __future__ import annotations

import pytest
import requests

from tests import helpers
from tests.helpers import cookie_socket, csrf_token
from tests.test_credentials import (
    NEW_PASSWORD,
    agent_id,
    closed,
    new_token,
    signed_in_dashboard,
    still_working,
    token_socket,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    pair = helpers.ServerPair(tmp_path_factory.mktemp("pair"))
    yield pair
    pair.close()


@pytest.fixture
def clients():
    opened: list[helpers.SocketClient] = []
    yield opened.append
    for client in opened:
        client.close()


def test_revoking_a_token_on_one_process_closes_its_socket_on_the_other(pair, clients):
    bot_token, bot_token_id = new_token(pair.a, "bob", "bot")
    other_token, _ = new_token(pair.a, "bob", "other")
    bot, other = token_socket(pair.b, bot_token), token_socket(pair.b, other_token)
    clients(bot), clients(other)
    bob = agent_id(pair.a, "bob")
    answer = pair.a.api("DELETE", f"/api/v1/agents/{bob}/tokens/{bot_token_id}", "admin")
    assert answer.status_code == 204
    closed(bot, "the revoked token's socket on the other process closed")
    still_working(other)


def test_signing_out_on_one_process_closes_the_dashboard_socket_on_the_other(pair, clients):
    session = signed_in_dashboard(pair.a)
    dashboard = cookie_socket(pair.b, session)
    bot = token_socket(pair.b, new_token(pair.a, "alice", "bot")[0])
    clients(dashboard), clients(bot)
    token = csrf_token(session, pair.a.url + "/dashboard/")
    answer = session.post(
        pair.a.url + "/logout", data={"csrf_token": token}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302
    closed(dashboard, "the signed-out dashboard's socket on the other process closed")
    still_working(bot)


def test_a_password_reset_on_one_process_closes_sockets_on_the_other(pair, clients):
    on_b = token_socket(pair.b, new_token(pair.a, "bob", "bot")[0])
    dashboard = cookie_socket(pair.a, signed_in_dashboard(pair.b, "bob"))
    clients(on_b), clients(dashboard)
    bob = agent_id(pair.a, "bob")
    answer = pair.b.api("PATCH", f"/api/v1/agents/{bob}", "admin", json={"password": NEW_PASSWORD})
    assert answer.status_code == 200
    closed(on_b, "the token socket on the process that did not reset the password closed")
    closed(dashboard, "the dashboard socket on the other process closed")


def test_deactivation_on_one_process_closes_sockets_on_the_other(pair, clients):
    session = signed_in_dashboard(pair.a)
    dashboard = cookie_socket(pair.b, session)
    bot = token_socket(pair.b, new_token(pair.a, "alice", "bot")[0])
    clients(dashboard), clients(bot)
    alice = agent_id(pair.a, "alice")
    answer = pair.a.api("PATCH", f"/api/v1/agents/{alice}", "admin", json={"active": False})
    assert answer.status_code == 200
    closed(dashboard, "the dashboard socket on the other process closed")
    closed(bot, "the token socket on the other process closed")
    cookie = session.cookies["session"]
    answer = requests.get(
        pair.b.url + "/dashboard/",
        headers={"Cookie": f"session={cookie}"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302
