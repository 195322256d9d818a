"""Losing a process mid-stream loses nothing and duplicates nothing.

Visitors stream messages through process A (each message after the previous ack, as the widget
does); A is SIGKILLed in the middle; each visitor reconnects to B and resends what was not
acknowledged, with the same client_ids. Afterwards every message is stored exactly once, in
order, with gapless seq, and every agent, after its own resync, has seen each exactly once.
"""

from __future__ import annotations

import threading

import pytest
import socketio

from tests import helpers

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

VISITORS = 4
MESSAGES = 25
KILL_AFTER = VISITORS * MESSAGES // 3


class StreamingVisitor:
    """Sends ``MESSAGES`` messages one after another; on a lost connection, reconnects to the
    fallback server and resends the unacknowledged message with the same client_id."""

    def __init__(self, index: int, primary: helpers.Server, fallback: helpers.Server, acked):
        self.index, self.fallback, self.acked = index, fallback, acked
        self.client = primary.visitor()
        self.token = self.client.token
        self.conversation_id: str | None = None
        self.resent = 0

    def client_id(self, n: int) -> str:
        return f"v{self.index}-{n:03d}"

    def run(self) -> None:
        for n in range(MESSAGES):
            self._send_until_acked(self.client_id(n), f"visitor {self.index} message {n}")

    def _send_until_acked(self, client_id: str, body: str) -> None:
        while True:
            try:
                ack = self.client.call(
                    "message:send", {"client_id": client_id, "body": body}, timeout=5
                )
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
                self.client.close()
                self.client = self.fallback.visitor(token=self.token)
                self.resent += 1
                continue
            assert ack["ok"] is True, ack
            self.conversation_id = ack["conversation"]["id"]
            self.acked()
            return


class WatchingAgent:
    """An agent's view: every message:new it got live, then a resync of each conversation."""

    def __init__(self, who: str, server: helpers.Server):
        self.who = who
        self.connections = [server.agent(who)]

    def reconnect(self, server: helpers.Server) -> None:
        self.connections.append(server.agent(self.who))

    def live(self) -> list[dict]:
        return [m for client in self.connections for m in client.received("message:new")]

    def resync(self, conversation_ids: list[str]) -> tuple[dict, int]:
        """Merge live deliveries with ``sync`` from the last gapless seq: seq → id per
        conversation, and how many messages the resync added."""
        seen: dict[str, dict[int, str]] = {cid: {} for cid in conversation_ids}
        for message in self.live():
            seen.setdefault(message["conversation_id"], {})[message["seq"]] = message["id"]
        added = 0
        for cid in conversation_ids:
            after = 0
            while after + 1 in seen[cid]:
                after += 1
            answer = self.connections[-1].ok("sync", {"conversation_id": cid, "after_seq": after})
            for message in answer["messages"]:
                if message["seq"] not in seen[cid]:
                    added += 1
                assert seen[cid].setdefault(message["seq"], message["id"]) == message["id"]
        return seen, added

    def close(self) -> None:
        for client in self.connections:
            client.close()


def test_sigkill_mid_stream_loses_and_duplicates_nothing(tmp_path):
    pair = helpers.ServerPair(
        tmp_path, {"SUPPORT_PRESENCE_TTL_SECONDS": "2", "SUPPORT_LIMIT_VISITOR_MESSAGES": "0"}
    )
    a, b = pair.a, pair.b
    alice, bob = WatchingAgent("alice", b), WatchingAgent("bob", a)
    acked = threading.Semaphore(0)
    visitors = [StreamingVisitor(i, a, b, acked.release) for i in range(VISITORS)]
    try:
        threads = [threading.Thread(target=v.run) for v in visitors]
        for thread in threads:
            thread.start()
        for _ in range(KILL_AFTER):
            assert acked.acquire(timeout=60)
        a.process.kill()  # SIGKILL: no goodbye, nothing flushed
        a.process.wait(10)
        bob.reconnect(b)
        for thread in threads:
            thread.join(120)
            assert not thread.is_alive()

        conversation_ids = [v.conversation_id for v in visitors]
        stored_total = 0
        for visitor in visitors:
            answer = b.api("GET", f"/api/v1/conversations/{visitor.conversation_id}").json()
            messages = answer["messages"]
            assert [m["seq"] for m in messages] == list(range(1, MESSAGES + 1))
            assert [m["client_id"] for m in messages] == [
                visitor.client_id(n) for n in range(MESSAGES)
            ]
            stored_total += len(messages)
        stored = {
            cid: {
                m["seq"]: m["id"]
                for m in b.api("GET", f"/api/v1/conversations/{cid}").json()["messages"]
            }
            for cid in conversation_ids
        }

        report = [
            f"stored {stored_total} messages in {VISITORS} conversations; "
            f"resent after the kill: {sum(v.resent for v in visitors)}"
        ]
        for agent in (alice, bob):
            live = agent.live()
            live_ids = [m["id"] for m in live]
            assert len(live_ids) == len(set(live_ids)), f"{agent.who} got a message twice"
            seen, added = agent.resync(conversation_ids)
            assert seen == stored, f"{agent.who}'s view differs from what is stored"
            report.append(
                f"{agent.who}: {len(live)} live, {added} from resync, "
                f"{sum(len(s) for s in seen.values())} seen once each"
            )
        print("\n" + "\n".join(report))
    finally:
        for visitor in visitors:
            visitor.client.close()
        alice.close()
        bob.close()
        pair.close()
