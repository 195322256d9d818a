"""The agents' inbox on a real ``support serve`` process (PROTOCOL §2–§4): unread counts per
agent, the server's friendly visitor names, business hours, routing settings and claim on
reply, and searching from the inbox."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from support.services.settings import WEEKDAYS, within_business_hours
from tests.helpers import wait_until


def _cid() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def agents_online(server):
    """Alice and Bob connected on /agent; closed afterwards."""
    alice, bob = server.agent("alice"), server.agent("bob")
    yield alice, bob
    alice.close()
    bob.close()


def _visitor_conversation(server, *bodies, **profile):
    """A visitor that sent ``bodies``: ``(visitor client, conversation id)``."""
    visitor = server.visitor(**profile)
    conversation_id = None
    for body in bodies:
        ack = visitor.ok("message:send", {"client_id": _cid(), "body": body})
        conversation_id = ack["conversation"]["id"]
    return visitor, conversation_id


def _listed(agent, view: str, conversation_id: str) -> dict:
    ack = agent.ok("inbox:list", {"view": view})
    return next(c for c in ack["conversations"] if c["id"] == conversation_id)


def _api_item(server, who: str, conversation_id: str) -> dict:
    answer = server.api("GET", "/api/v1/conversations", who, params={"status": "open"})
    for page in range(1, 50):
        items = answer.json()["items"]
        found = [c for c in items if c["id"] == conversation_id]
        if found or not items:
            return found[0]
        answer = server.api(
            "GET", "/api/v1/conversations", who, params={"status": "open", "page": page + 1}
        )
    raise AssertionError("not listed")


# --- unread per agent --------------------------------------------------------------------------


def test_one_agent_reading_never_clears_another_agents_unread(server, agents_online):
    alice, bob = agents_online
    visitor, conversation_id = _visitor_conversation(server, "hello", "anyone there?")
    assert _listed(alice, "unassigned", conversation_id)["unread"] == 2
    assert _listed(bob, "unassigned", conversation_id)["unread"] == 2

    opened = alice.ok("conversation:open", {"conversation_id": conversation_id})
    assert opened["conversation"]["unread"] == 2
    alice.ok("messages:read", {"conversation_id": conversation_id, "seq": 2})
    alice.wait_for("inbox:read", lambda d: d["conversation_id"] == conversation_id)

    assert _listed(alice, "unassigned", conversation_id)["unread"] == 0
    assert _listed(bob, "unassigned", conversation_id)["unread"] == 2
    bob_open = bob.ok("conversation:open", {"conversation_id": conversation_id})
    assert bob_open["conversation"]["unread"] == 2
    assert _api_item(server, "alice", conversation_id)["unread"] == 0
    assert _api_item(server, "bob", conversation_id)["unread"] == 2
    detail = server.api("GET", f"/api/v1/conversations/{conversation_id}", "bob").json()
    assert detail["conversation"]["unread"] == 2

    visitor.ok("message:send", {"client_id": _cid(), "body": "one more"})
    wait_until(lambda: _listed(alice, "unassigned", conversation_id)["unread"] == 1)
    assert _listed(bob, "unassigned", conversation_id)["unread"] == 3
    claimed = bob.ok("conversation:claim", {"conversation_id": conversation_id})
    assert claimed["conversation"]["unread"] == 3
    visitor.close()


def test_the_visitor_sees_read_by_an_agent_once_any_agent_read(server, agents_online):
    alice, bob = agents_online
    visitor, conversation_id = _visitor_conversation(server, "hi")
    bob.ok("messages:read", {"conversation_id": conversation_id, "seq": 1})
    seen = visitor.wait_for("messages:read", lambda d: d["conversation_id"] == conversation_id)
    assert seen == {"conversation_id": conversation_id, "seq": 1, "by": "agent"}
    visitor.close()


def test_unassigned_puts_the_longest_wait_first_and_says_since_when(server, agents_online):
    alice, _ = agents_online
    first, first_id = _visitor_conversation(server, "I came first")
    second, second_id = _visitor_conversation(server, "I came second")
    answered, answered_id = _visitor_conversation(server, "answered already")
    alice.ok("conversation:claim", {"conversation_id": answered_id})
    reply = {"conversation_id": answered_id, "client_id": _cid(), "body": "Hello!"}
    alice.ok("message:send", reply)
    first.ok("message:send", {"client_id": _cid(), "body": "still waiting"})  # newest activity

    listed = alice.ok("inbox:list", {"view": "unassigned"})["conversations"]
    order = [c["id"] for c in listed]
    assert order.index(first_id) < order.index(second_id)
    waiting = {c["id"]: c["waiting_since"] for c in listed}
    assert waiting[first_id] < waiting[second_id]
    assert _listed(alice, "mine", answered_id)["waiting_since"] is None
    answered.ok("message:send", {"client_id": _cid(), "body": "thanks, one more thing"})
    assert _listed(alice, "mine", answered_id)["waiting_since"] is not None
    for visitor in (first, second, answered):
        visitor.close()


def test_agents_see_which_colleague_views_or_types(server, agents_online):
    alice, bob = agents_online
    visitor, conversation_id = _visitor_conversation(server, "hello")
    bob.ok("conversation:open", {"conversation_id": conversation_id})
    bob.ok("conversation:viewing", {"conversation_id": conversation_id, "viewing": True})
    seen = alice.wait_for("viewing", lambda d: d["conversation_id"] == conversation_id)
    assert seen["name"] == "Bob Agent" and seen["viewing"] is True
    bob.ok("typing", {"conversation_id": conversation_id, "typing": True})
    typing = alice.wait_for(
        "typing", lambda d: d["conversation_id"] == conversation_id and d["from"] == "agent"
    )
    assert typing["name"] == "Bob Agent" and typing["typing"] is True
    assert visitor.wait_for("typing")["name"] == "Bob Agent"
    assert "agent_id" not in visitor.wait_for("typing")
    bob.close()  # a closed tab is announced as gone
    left = alice.wait_for(
        "viewing", lambda d: d["conversation_id"] == conversation_id and not d["viewing"]
    )
    assert left["agent_id"] == seen["agent_id"]
    visitor.close()


# --- friendly names ----------------------------------------------------------------------------


def test_an_unnamed_visitor_has_one_friendly_name_everywhere(server, agents_online):
    alice, _ = agents_online
    visitor, conversation_id = _visitor_conversation(server, "my order is late")
    opened = alice.ok("conversation:open", {"conversation_id": conversation_id})
    name = opened["conversation"]["visitor"]["name"]
    assert name and len(name.split()) == 2
    assert _listed(alice, "unassigned", conversation_id)["visitor"]["name"] == name
    assert _api_item(server, "alice", conversation_id)["visitor"]["name"] == name
    assert opened["messages"][0]["sender"]["name"] == name

    found = server.api("GET", "/api/v1/conversations", "alice", params={"q": name.lower()})
    assert conversation_id in [c["id"] for c in found.json()["items"]]
    search = alice.ok("inbox:search", {"q": name})
    assert conversation_id in [c["id"] for c in search["conversations"]]

    path = f"/api/v1/conversations/{conversation_id}/transcript"
    rows = list(csv.DictReader(io.StringIO(server.api("GET", path, params={"format": "csv"}).text)))
    assert rows[0]["sender_name"] == name
    assert f"Visitor: {name}" in server.api("GET", path, params={"format": "txt"}).text
    visitor.close()


def test_a_named_visitor_keeps_its_own_name(server, agents_online):
    alice, _ = agents_online
    visitor, conversation_id = _visitor_conversation(server, "hi", name="Grace Hopper")
    opened = alice.ok("conversation:open", {"conversation_id": conversation_id})
    assert opened["conversation"]["visitor"]["name"] == "Grace Hopper"
    visitor.close()


# --- searching from the inbox ------------------------------------------------------------------


def test_inbox_search_finds_closed_conversations_with_the_apis_q(server, agents_online):
    alice, bob = agents_online
    word = "zebra" + uuid.uuid4().hex[:6]
    visitor, conversation_id = _visitor_conversation(server, f"the {word} invoice")
    bob.ok("conversation:claim", {"conversation_id": conversation_id})
    bob.ok("conversation:close", {"conversation_id": conversation_id})
    hits = alice.ok("inbox:search", {"q": word.upper()})
    assert [c["id"] for c in hits["conversations"]] == [conversation_id]
    assert hits["total"] == 1 and hits["conversations"][0]["status"] == "closed"
    assert alice.ok("inbox:search", {"q": word + " nothing-like-this"})["conversations"] == []
    assert alice.call("inbox:search", {"q": 5})["error"]["code"] == "invalid_payload"
    visitor.close()


def test_the_closed_view_counts_and_pages(server, agents_online):
    alice, _ = agents_online
    first = alice.ok("inbox:list", {"view": "closed"})
    assert first["page"] == 1 and first["total"] >= len(first["conversations"])
    far = alice.ok("inbox:list", {"view": "closed", "page": 1000})
    assert far["conversations"] == [] and far["total"] == first["total"]


# --- routing settings and claim on reply -------------------------------------------------------


def test_routing_settings_are_for_admins_validated_and_audited(server):
    assert server.api("GET", "/api/v1/settings/routing", "alice").status_code == 403
    current = server.api("GET", "/api/v1/settings/routing", "admin")
    assert current.status_code == 200
    assert set(current.json()) >= {"mode", "capacity", "claim_on_reply"}
    for bad in ({"mode": "random"}, {"capacity": 0}, {"capacity": "3"}, {"claim_on_reply": 1}):
        answer = server.api("PATCH", "/api/v1/settings/routing", "admin", json=bad)
        assert answer.status_code == 400, bad
        assert answer.json()["error"]["code"] == "invalid_payload"
    assert server.api("GET", "/api/v1/settings/routing", "admin").json() == current.json()
    changed = server.api("PATCH", "/api/v1/settings/routing", "admin", json={"capacity": 5})
    assert changed.status_code == 200 and changed.json()["capacity"] == 5
    assert changed.json()["mode"] == current.json()["mode"]
    audit = server.api("GET", "/api/v1/audit", "admin").json()
    assert any(e["target"] == "routing" for e in audit["items"])
    server.api("PATCH", "/api/v1/settings/routing", "admin", json=current.json())


def test_a_first_reply_claims_an_unassigned_conversation(server, agents_online):
    alice, bob = agents_online
    visitor, conversation_id = _visitor_conversation(server, "help")
    note = {"conversation_id": conversation_id, "client_id": _cid(), "body": "hm", "private": True}
    alice.ok("message:send", note)
    assert _listed(bob, "unassigned", conversation_id)["assignee"] is None

    reply = {"conversation_id": conversation_id, "client_id": _cid(), "body": "On it"}
    alice.ok("message:send", reply)
    update = bob.wait_for(
        "conversation:updated",
        lambda d: d["id"] == conversation_id and d["assignee"] is not None,
    )
    assert update["assignee"]["name"] == "Alice Agent"
    assert _listed(alice, "mine", conversation_id)["assignee"]["name"] == "Alice Agent"
    # Bob may still answer; the conversation stays Alice's.
    bob.ok("message:send", {"conversation_id": conversation_id, "client_id": _cid(), "body": "+1"})
    assert _listed(alice, "mine", conversation_id)["assignee"]["name"] == "Alice Agent"
    visitor.close()


def test_replies_do_not_claim_when_claim_on_reply_is_off(server, agents_online):
    alice, _ = agents_online
    off = server.api("PATCH", "/api/v1/settings/routing", "admin", json={"claim_on_reply": False})
    assert off.status_code == 200 and off.json()["claim_on_reply"] is False
    try:
        visitor, conversation_id = _visitor_conversation(server, "help")
        reply = {"conversation_id": conversation_id, "client_id": _cid(), "body": "On it"}
        alice.ok("message:send", reply)
        assert _listed(alice, "unassigned", conversation_id)["assignee"] is None
        visitor.close()
    finally:
        server.api("PATCH", "/api/v1/settings/routing", "admin", json={"claim_on_reply": True})


# --- activity lines ----------------------------------------------------------------------------


def test_claims_transfers_closes_and_reopens_are_agent_only_activity_lines(server, agents_online):
    alice, bob = agents_online
    visitor, conversation_id = _visitor_conversation(server, "help me")
    ref = {"conversation_id": conversation_id}
    alice.ok("conversation:claim", ref)
    claimed = bob.wait_for("activity", lambda d: d["conversation_id"] == conversation_id)
    assert claimed["kind"] == "claimed"
    assert claimed["text"] == "Alice Agent claimed the conversation"
    bob_id = server.agent_id("bob")
    alice.ok("conversation:transfer", ref | {"agent_id": bob_id, "note": "VIP, be quick"})
    moved = bob.wait_for("activity", lambda d: d["kind"] == "transferred")
    assert moved["note"] == "VIP, be quick" and moved["target"]["name"] == "Bob Agent"
    bob.ok("conversation:close", ref)
    visitor.ok("conversation:rate", {"rating": 2})
    reopened = bob.ok("conversation:reopen", ref)["conversation"]
    assert reopened["rating"] is None  # a reopened conversation drops its old rating

    opened = alice.ok("conversation:open", ref)
    kinds = [line["kind"] for line in opened["activity"]]
    assert kinds == ["claimed", "transferred", "closed", "reopened"]
    assert [m["body"] for m in opened["messages"]] == ["help me"]  # no messages added
    assert "activity" not in visitor.events
    text = server.api("GET", f"/api/v1/conversations/{conversation_id}/transcript").text
    assert "-- Alice Agent transferred the conversation to Bob Agent: “VIP, be quick”" in text
    detail = server.api("GET", f"/api/v1/conversations/{conversation_id}").json()
    assert [line["kind"] for line in detail["activity"]] == kinds
    visitor.close()


# --- business hours ----------------------------------------------------------------------------

ZONE = "Pacific/Kiritimati"  # UTC+14: its day is rarely the test machine's day


def _hours_around_now(open_now: bool) -> dict:
    """Hours for today in ``ZONE``: an hour either side of now, or a window that ended."""
    local = datetime.now(UTC).astimezone(ZoneInfo(ZONE))
    if open_now:
        start = max(local - timedelta(hours=1), local.replace(hour=0, minute=0))
        end = min(local + timedelta(hours=1), local.replace(hour=23, minute=59))
    else:  # every other day open all day: only today's window decides
        start, end = local.replace(hour=0, minute=0), local.replace(hour=0, minute=1)
        if local.hour == 0 and local.minute < 2:
            start, end = local.replace(hour=23, minute=0), local.replace(hour=23, minute=59)
    today = WEEKDAYS[local.weekday()]
    days = {day: {"open": "00:00", "close": "23:59"} for day in WEEKDAYS if day != today}
    days[today] = {"open": start.strftime("%H:%M"), "close": end.strftime("%H:%M")}
    return {"enabled": True, "timezone": ZONE, "days": days}


def _online(server) -> bool:
    return server.api("GET", "/api/widget/config").json()["chat"]["online"]


def test_the_widget_is_offline_outside_business_hours(server, agents_online):
    wait_until(lambda: _online(server), what="an agent online")
    try:
        for open_now in (False, True):
            hours = _hours_around_now(open_now)
            answer = server.api("PATCH", "/api/v1/settings/widget", "admin", json={"hours": hours})
            assert answer.status_code == 200, answer.text
            assert _online(server) is open_now
    finally:
        off = {"hours": {"enabled": False}}
        server.api("PATCH", "/api/v1/settings/widget", "admin", json=off)
    assert _online(server) is True


def test_the_availability_event_follows_business_hours(server):
    wait_until(lambda: not _online(server), what="nobody online")
    closed = {"hours": _hours_around_now(False)}
    assert server.api("PATCH", "/api/v1/settings/widget", "admin", json=closed).status_code == 200
    visitor = server.visitor()
    try:
        alice = server.agent("alice")
        assert visitor.wait_for("availability") == {"online": False}
        alice.close()
        wait_until(lambda: len(visitor.received("availability")) == 2, what="alice gone")
        server.api("PATCH", "/api/v1/settings/widget", "admin", json={"hours": {"enabled": False}})
        alice = server.agent("alice")
        assert visitor.wait_for("availability", since=2) == {"online": True}
        alice.close()
    finally:
        server.api("PATCH", "/api/v1/settings/widget", "admin", json={"hours": {"enabled": False}})
        visitor.close()


def test_business_hours_are_read_on_the_clock_of_their_time_zone():
    hours = {
        "enabled": True,
        "timezone": "America/New_York",
        "days": {"mon": {"open": "09:00", "close": "17:00"}},
    }
    monday_9_30_new_york = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)
    assert within_business_hours(hours, monday_9_30_new_york)
    assert not within_business_hours(hours, monday_9_30_new_york - timedelta(hours=1))
    assert not within_business_hours(hours, monday_9_30_new_york + timedelta(hours=8))
    assert not within_business_hours(hours, monday_9_30_new_york + timedelta(days=1))
    assert within_business_hours(hours | {"enabled": False}, monday_9_30_new_york + timedelta(1))
    all_day = hours | {"days": {"mon": {"open": "00:00", "close": "23:59"}}}
    assert within_business_hours(all_day, datetime(2026, 12, 8, 4, 59, 30, tzinfo=UTC))


def test_widgets_hear_when_business_hours_open_and_close(ctx):
    from support import events
    from support.services import settings as settings_service
    from support.services.business_hours import HoursWatch

    hours = {
        "enabled": True,
        "timezone": "UTC",
        "days": {"mon": {"open": "09:00", "close": "17:00"}},
    }
    settings_service.update_widget_settings({"hours": hours})
    heard = []
    events.set_sink(heard.append)
    try:
        watch = HoursWatch()
        monday = datetime(2026, 12, 7, 8, 59, tzinfo=UTC)
        assert watch.check(monday) is False  # the first look only remembers
        assert watch.check(monday + timedelta(minutes=1)) is True  # opened
        assert watch.check(monday + timedelta(hours=1)) is False
        assert watch.check(monday + timedelta(hours=8, minutes=1)) is True  # closed
    finally:
        from support import realtime

        events.set_sink(realtime.publish)
    assert [type(event) for event in heard] == [events.Availability, events.Availability]


# --- offline messages --------------------------------------------------------------------------


def _offline_flags(agent, *conversation_ids) -> dict:
    listed = agent.ok("inbox:list", {"view": "unassigned"})["conversations"]
    return {c["id"]: c["offline"] for c in listed if c["id"] in conversation_ids}


def test_a_conversation_opened_while_nobody_can_chat_is_an_offline_message(server):
    """Marked when the first message opened it with no agent online, or with agents online but
    outside business hours (the widget's own rule); never shown to the visitor."""
    wait_until(lambda: not _online(server), what="nobody online")
    late, late_id = _visitor_conversation(server, "anyone there?", email="late@example.com")
    assert (
        "offline"
        not in late.ok("message:send", {"client_id": _cid(), "body": "hello?"})["conversation"]
    )
    alice, visitors = server.agent("alice"), [late]
    try:
        wait_until(lambda: _online(server), what="alice online")
        live, live_id = _visitor_conversation(server, "hi, quick question")
        visitors.append(live)
        assert alice.wait_for("conversation:new", lambda c: c["id"] == live_id)["offline"] is False
        closed = {"hours": _hours_around_now(False)}
        assert server.api("PATCH", "/api/v1/settings/widget", "admin", json=closed).ok
        after_hours, after_hours_id = _visitor_conversation(server, "are you open?")
        visitors.append(after_hours)
        late.ok("message:send", {"client_id": _cid(), "body": "still here"})  # keeps its mark
        flags = _offline_flags(alice, late_id, live_id, after_hours_id)
        assert flags == {late_id: True, live_id: False, after_hours_id: True}
        assert _listed(alice, "unassigned", late_id)["visitor"]["email"] == "late@example.com"
        detail = server.api("GET", f"/api/v1/conversations/{late_id}").json()
        assert detail["conversation"]["offline"] is True
    finally:
        server.api("PATCH", "/api/v1/settings/widget", "admin", json={"hours": {"enabled": False}})
        alice.close()
        for visitor in visitors:
            visitor.close()
