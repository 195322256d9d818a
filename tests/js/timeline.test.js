import assert from "node:assert/strict";
import { test } from "node:test";

import { Timeline, fillGaps, resync } from "../../static/shared/client/index.js";
import { FakeSocket, message, settle } from "./fake_socket.js";

test("a message delivered live and again by sync is kept once, in seq order", () => {
  const timeline = new Timeline("c1");
  assert.equal(timeline.add(message(2)), "added");
  assert.equal(timeline.add(message(1)), "added");
  assert.equal(timeline.add(message(2)), "duplicate");
  assert.deepEqual(timeline.addExact([message(1), message(2), message(3)]), [message(3)]);
  assert.deepEqual(
    timeline.messages().map((m) => m.seq),
    [1, 2, 3],
  );
  assert.equal(timeline.knownThrough, 3);
});

test("the same sender's client_id is one message even under another id", () => {
  const timeline = new Timeline("c1");
  const mine = { client_id: "w-1", sender: { type: "visitor", id: "v1" } };
  assert.equal(timeline.add(message(1, { id: "x", ...mine })), "added");
  assert.equal(timeline.add(message(1, { id: "y", ...mine })), "duplicate");
  const other = { client_id: "w-1", sender: { type: "agent", id: "a1" } };
  assert.equal(timeline.add(message(2, other)), "added", "client ids belong to their sender");
  assert.equal(timeline.byClient("visitor", "v1", "w-1").id, "x");
});

test("another conversation's message is refused as foreign", () => {
  const timeline = new Timeline();
  assert.equal(timeline.add(message(1)), "added");
  assert.equal(timeline.conversationId, "c1");
  assert.equal(timeline.add(message(1, { id: "z", conversation_id: "c2" })), "foreign");
  timeline.reset("c2");
  assert.equal(timeline.size, 0);
  assert.equal(timeline.knownThrough, 0);
});

test("a jump in seq is a gap, and sync fills it", async () => {
  const socket = new FakeSocket();
  const timeline = new Timeline("c1");
  timeline.addExact([message(1)]);
  assert.equal(timeline.add(message(4)), "added");
  assert.equal(timeline.hasGap, true);
  assert.equal(timeline.knownThrough, 1);

  const filled = fillGaps(socket, timeline, { conversation_id: "c1" });
  const [sync] = socket.emitted("sync");
  assert.deepEqual(sync.payload, { conversation_id: "c1", after_seq: 1 });
  sync.answer({ ok: true, messages: [message(2), message(3), message(4)] });
  const result = await filled;
  assert.equal(result.ok, true);
  assert.deepEqual(
    result.added.map((m) => m.seq),
    [2, 3],
  );
  assert.equal(timeline.hasGap, false);
  assert.equal(timeline.knownThrough, 4);
});

test("a visitor's gap left by a private note is settled by the sync answer", async () => {
  const socket = new FakeSocket();
  const timeline = new Timeline("c1");
  timeline.addExact([message(1), message(2)]);
  timeline.add(message(4)); // seq 3 is a note the visitor never sees
  const filled = fillGaps(socket, timeline);
  socket.sent[0].answer({ ok: true, messages: [message(4)] });
  assert.deepEqual((await filled).added, []);
  assert.equal(timeline.hasGap, false);
  assert.equal(timeline.add(message(5)), "added");
  assert.equal(timeline.knownThrough, 5);
  assert.equal(fillGaps(socket, timeline) instanceof Promise, true);
  await settle();
  assert.equal(socket.emitted("sync").length, 1, "no gap, no request");
});

test("after a reconnect, resync asks for everything after the last seq it is sure of", async () => {
  const socket = new FakeSocket();
  const timeline = new Timeline("c1");
  timeline.addExact([message(1), message(2)]);
  const done = resync(socket, timeline);
  assert.deepEqual(socket.sent[0].payload, { after_seq: 2 });
  socket.sent[0].answer({ ok: true, messages: [message(3)] });
  assert.deepEqual(
    (await done).added.map((m) => m.id),
    ["m3"],
  );
});

test("one sync at a time: requests meanwhile share one more, starting where the first ended", async () => {
  const socket = new FakeSocket();
  const timeline = new Timeline("c1");
  timeline.addExact([message(1)]);
  const first = resync(socket, timeline);
  timeline.add(message(5));
  const second = fillGaps(socket, timeline);
  const third = resync(socket, timeline);
  assert.equal(second, third);
  assert.equal(socket.emitted("sync").length, 1);
  socket.sent[0].answer({ ok: true, messages: [message(2)] });
  await first;
  await settle();
  const syncs = socket.emitted("sync");
  assert.equal(syncs.length, 2);
  assert.deepEqual(syncs[1].payload, { after_seq: 2 });
  syncs[1].answer({ ok: true, messages: [message(3), message(4), message(5)] });
  assert.deepEqual(
    (await second).added.map((m) => m.seq),
    [3, 4],
  );
  assert.equal(timeline.knownThrough, 5);
});

test("a sync answer of another conversation is reported, not mixed in", async () => {
  const socket = new FakeSocket();
  const timeline = new Timeline("c1");
  timeline.addExact([message(1)]);
  const done = resync(socket, timeline);
  socket.sent[0].answer({ ok: true, messages: [message(1, { id: "n1", conversation_id: "c2" })] });
  const result = await done;
  assert.equal(result.foreign, true);
  assert.equal(timeline.size, 1);
});

test("a failed sync leaves the timeline as it was and says why", async () => {
  const socket = new FakeSocket();
  const timeline = new Timeline("c1");
  timeline.addExact([message(1)]);
  timeline.add(message(3));
  const refused = fillGaps(socket, timeline);
  socket.sent[0].answer({ ok: false, error: { code: "not_found", message: "Gone." } });
  const result = await refused;
  assert.equal(result.ok, false);
  assert.equal(result.error.code, "not_found");
  assert.equal(timeline.hasGap, true);

  const lost = fillGaps(socket, timeline);
  socket.sent[1].expire();
  assert.equal((await lost).error.code, "timeout");
});
