"""``SUPPORT_ASYNC_MODE=gevent``: the documented path off eventlet runs the whole chat."""

from __future__ import annotations

import pytest
import requests

from tests import helpers

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gevent_server(tmp_path_factory):
    env = {"SUPPORT_ASYNC_MODE": "gevent"}
    server = helpers.Server.start(tmp_path_factory.mktemp("gevent"), env)
    yield server
    server.discard()


def test_round_trip_under_gevent(gevent_server):
    assert requests.get(gevent_server.url + "/healthz", timeout=10).json() == {"status": "ok"}
    visitor, agent = gevent_server.visitor(), gevent_server.agent("alice")
    try:
        sent = visitor.ok("message:send", {"client_id": "g1", "body": "hello gevent"})
        conversation_id = sent["conversation"]["id"]
        agent.wait_for("message:new", lambda m: m["client_id"] == "g1")
        agent.ok("conversation:claim", {"conversation_id": conversation_id})
        visitor.ok("typing", {"typing": True})
        agent.wait_for("typing", lambda t: t["typing"] is True)
        reply = agent.ok(
            "message:send",
            {"conversation_id": conversation_id, "client_id": "r1", "body": "hi from gevent"},
        )["message"]
        visitor.wait_for("message:new", lambda m: m["id"] == reply["id"])
        assert [m["seq"] for m in visitor.ok("sync", {"after_seq": 0})["messages"]] == [1, 2]
    finally:
        visitor.close()
        agent.close()
