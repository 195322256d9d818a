"""Fuzzing a real server from outside, behind the ``slow`` marker (it still runs in ``make test``):

- Hypothesis sends every event of both namespaces, with payloads built from the fields each event
  knows plus arbitrary JSON, over real python-socketio clients: every event is acknowledged in the
  contract's shape, never with ``internal``, and nothing invalid is stored;
- schemathesis drives every ``/api/v1`` operation of the server's own OpenAPI document with an
  admin's token: never a 5xx.

Afterwards the server's log has no unhandled exception. About a minute in all."""

from __future__ import annotations

import re

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.chat.agent import AgentNamespace
from support.chat.visitor import VisitorNamespace
from tests.helpers import Server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ERROR_CODES = {
    "invalid_payload",
    "unauthorized",
    "forbidden",
    "not_found",
    "already_assigned",
    "conversation_closed",
    "rate_limited",
    "unknown_event",
}
FIELDS = {
    "client_id": st.text(alphabet="abc123_.:-", min_size=1, max_size=8),
    "body": st.text(max_size=50),
    "typing": st.booleans(),
    "seq": st.integers(-2, 50),
    "after_seq": st.integers(-2, 50),
    "name": st.text(max_size=20),
    "email": st.sampled_from(["a@example.com", "not-an-email", ""]) | st.text(max_size=20),
    "hash": st.text(max_size=70)
    | st.text(st.characters(min_codepoint=128), min_size=1, max_size=70),
    "page_url": st.sampled_from(["https://shop.example/", "javascript:alert(1)"]),
    "rating": st.integers(-1, 7),
    "comment": st.text(max_size=30),
    "private": st.booleans(),
    "view": st.sampled_from(["open", "mine", "unassigned", "closed", "all", "bogus"]),
    "status": st.sampled_from(["online", "away", "bogus"]),
    "agent_id": st.text(max_size=8),
    "conversation_id": st.text(max_size=8),
    "attachment_ids": st.lists(st.text(max_size=8), max_size=3),
}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None
)
# Every event each namespace knows, from the namespaces themselves: a new event is fuzzed too.
VISITOR_EVENTS = list(VisitorNamespace.EVENTS)
AGENT_EVENTS = list(AgentNamespace.EVENTS)


def payloads(known_conversation: str):
    """A dict of some known fields (values often valid, sometimes not) and some junk keys, or
    any JSON value at all."""
    fields = dict(FIELDS)
    fields["conversation_id"] = st.sampled_from([known_conversation]) | FIELDS["conversation_id"]
    known = st.fixed_dictionaries({}, optional=fields)
    junk = st.dictionaries(st.text(max_size=8), JSON, max_size=2)
    return st.tuples(known, junk).map(lambda both: {**both[1], **both[0]}) | JSON


@pytest.fixture(scope="module")
def fuzzed(server_factory):
    return server_factory(SUPPORT_LIMIT_VISITOR_MESSAGES="0", SUPPORT_LIMIT_VISITOR_EVENTS="0")


def _assert_contract_ack(event: str, payload, ack) -> None:
    assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (event, payload, ack)
    if not ack["ok"]:
        assert ack["error"]["code"] in ERROR_CODES, (event, payload, ack)


def _assert_nothing_invalid_stored(server: Server) -> None:
    listing = server.api("GET", "/api/v1/conversations?per_page=100", who="admin").json()
    for conversation in listing["items"]:
        answer = server.api("GET", f"/api/v1/conversations/{conversation['id']}", who="admin")
        messages = answer.json()["messages"]
        assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
        for message in messages:
            assert isinstance(message["body"], str) and len(message["body"]) <= 4000
            assert (
                message["body"].strip()
                or message.get("attachments")
                or message["sender"]["type"] == "system"
            )
            if message["client_id"] is not None:
                assert re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", message["client_id"])


def _assert_log_clean(server: Server) -> None:
    log = server.log.read_text()
    assert "Traceback" not in log and "ERROR" not in log, log[-3000:]


@pytest.fixture(scope="module")
def pair(fuzzed):
    """A visitor with a conversation and an agent, shared by the runs of every event."""
    visitor, agent = fuzzed.visitor(), fuzzed.agent("alice")
    sent = visitor.ok("message:send", {"client_id": "seed", "body": "hello"})
    yield visitor, agent, sent["conversation"]["id"]
    visitor.close()
    agent.close()


@pytest.mark.parametrize(
    ("side", "event"),
    [("visitor", e) for e in VISITOR_EVENTS] + [("agent", e) for e in AGENT_EVENTS],
)
def test_every_socket_event_is_acknowledged_in_the_contracts_shape(fuzzed, pair, side, event):
    visitor, agent, conversation = pair
    client = visitor if side == "visitor" else agent

    @FUZZ
    @given(payload=payloads(conversation))
    def send(payload):
        _assert_contract_ack(event, payload, client.call(event, payload))

    send()
    visitor.ok("sync", {"after_seq": 0})  # both sides still usable
    agent.ok("inbox:list", {"view": "open"})


def test_nothing_invalid_was_stored_and_nothing_crashed(fuzzed, pair):
    """Runs after the event fuzzing above (pytest keeps the order of a module)."""
    _assert_nothing_invalid_stored(fuzzed)
    _assert_log_clean(fuzzed)


@pytest.mark.timeout(300)  # about 40 operations × 40 cases; the suite's 120 s is too tight
def test_every_api_operation_answers_without_a_server_error(fuzzed):
    import schemathesis
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_url(fuzzed.url + "/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {fuzzed.token('admin')}"}
    base_url = fuzzed.url + "/api/v1"
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        cases = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
            GenerationMode.NEGATIVE
        )

        @FUZZ
        @given(case=cases)
        def call(case):
            response = case.call(base_url=base_url, headers=headers, timeout=15)
            if response.status_code >= 500:
                failures.append((case.method, case.formatted_path, case.query, response.text[:200]))

        call()
    assert not failures, failures
    assert requests.get(fuzzed.url + "/healthz", timeout=5).status_code == 200
    _assert_log_clean(fuzzed)
