import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";

import { Outbox, Timeline, receive } from "../../static/shared/client/index.js";
import { FakeSocket, message, settle } from "./fake_socket.js";

beforeEach(() => mock.timers.enable({ apis: ["setTimeout"] }));
afterEach(() => mock.timers.reset());

function outboxOn(socket, options = {}) {
  const changes = [];
  const acks = [];
  const outbox = new Outbox({
    socket,
    idPrefix: "w",
    timeoutMs: 10000,
    onChange: (item) => changes.push(`${item.client_id}:${item.status}`),
    onAck: (item, ack) => acks.push([item.client_id, ack.message.id]),
    ...options,
  });
  return { outbox, changes, acks };
}

function stored(item, seq = 1) {
  return {
    ok: true,
    message: message(seq, {
      client_id: item.client_id,
      body: item.body,
      sender: { type: "visitor", id: "v1" },
    }),
  };
}

test("a message written while disconnected is sent once the connection is back", async () => {
  const socket = new FakeSocket({ connected: false });
  const { outbox, acks } = outboxOn(socket);
  const item = outbox.add({ body: "hello" });
  assert.equal(item.status, "pending");
  assert.match(item.client_id, /^w-/);
  assert.equal(socket.sent.length, 0, "nothing is emitted on a dead socket");

  socket.connected = true;
  const done = outbox.resend();
  assert.deepEqual(socket.emitted("message:send")[0].payload, {
    client_id: item.client_id,
    body: "hello",
  });
  socket.sent[0].answer(stored(item));
  await done;
  assert.equal(item.status, "sent");
  assert.equal(outbox.size, 0);
  assert.deepEqual(acks, [[item.client_id, "m1"]]);
});

test("a message whose ack was lost in a drop is resent with the same client_id on reconnect", async () => {
  const socket = new FakeSocket();
  const { outbox } = outboxOn(socket);
  const item = outbox.add({ body: "during the drop", conversation_id: "c1" });
  socket.disconnect(); // the answer never comes
  mock.timers.tick(10000);
  assert.equal(item.status, "pending", "a dropped connection is not a failure");

  socket.reconnect();
  outbox.resend();
  const sends = socket.emitted("message:send");
  assert.equal(sends.length, 2);
  assert.equal(sends[1].payload.client_id, sends[0].payload.client_id);
  assert.equal(sends[1].payload.conversation_id, "c1");
  sends[1].answer(stored(item));
  await settle();
  assert.equal(outbox.size, 0);
});

test("no answer on a live connection fails the message; an ack after the timeout still counts", async () => {
  const socket = new FakeSocket();
  const { outbox, acks } = outboxOn(socket);
  const item = outbox.add({ body: "slow" });
  mock.timers.tick(10000);
  assert.equal(item.status, "failed");
  assert.equal(item.error.code, "timeout");

  socket.sent[0].answer(stored(item)); // the server was only slow
  await settle();
  assert.equal(item.status, "sent");
  assert.equal(outbox.size, 0);
  assert.deepEqual(acks, [[item.client_id, "m1"]]);
});

test("retry sends the same client_id, and a stale attempt's error does not fail the retry", async () => {
  const socket = new FakeSocket();
  const { outbox } = outboxOn(socket);
  const item = outbox.add({ body: "again" });
  mock.timers.tick(10000);
  assert.equal(item.status, "failed");

  const retried = outbox.send(item.client_id);
  const [first, second] = socket.emitted("message:send");
  assert.equal(second.payload.client_id, first.payload.client_id);
  assert.equal(item.status, "pending");
  first.answer({ ok: false, error: { code: "internal", message: "late failure" } });
  await settle();
  assert.equal(item.status, "pending", "the first attempt's answer is stale");
  second.answer(stored(item));
  assert.equal((await retried).ok, true);
  assert.equal(item.status, "sent");
});

test("an error answer fails the message and a reconnect does not resend it blindly", async () => {
  const socket = new FakeSocket();
  const { outbox } = outboxOn(socket);
  const item = outbox.add({ body: "too fast" });
  socket.sent[0].answer({ ok: false, error: { code: "rate_limited", message: "Slow down." } });
  await settle();
  assert.equal(item.status, "failed");
  assert.deepEqual(item.error, { code: "rate_limited", message: "Slow down." });

  socket.disconnect();
  socket.reconnect();
  outbox.resend();
  assert.equal(socket.emitted("message:send").length, 1, "not resent by the reconnect");

  outbox.send(item); // the user's retry
  assert.equal(socket.emitted("message:send").length, 2);
  assert.equal(socket.sent[1].payload.client_id, item.client_id);
});

test("a message that timed out is resent on reconnect", async () => {
  const socket = new FakeSocket();
  const { outbox } = outboxOn(socket);
  const item = outbox.add({ body: "lost" });
  mock.timers.tick(10000);
  assert.equal(item.status, "failed");
  socket.disconnect();
  socket.reconnect();
  outbox.resend();
  assert.equal(socket.emitted("message:send").length, 2);
  assert.equal(item.status, "pending");
});

test("the own echo confirms a failed message: one copy, no stale failure", async () => {
  const socket = new FakeSocket();
  const { outbox } = outboxOn(socket);
  const timeline = new Timeline("c1");
  const item = outbox.add({ body: "echoed", row: "the pending row" });
  mock.timers.tick(10000);
  assert.equal(item.status, "failed");

  const echo = stored(item).message;
  const isOwn = (m) => m.sender.type === "visitor";
  const first = receive(timeline, outbox, echo, isOwn);
  assert.equal(first.status, "added");
  assert.equal(first.pending.row, "the pending row");
  assert.equal(outbox.size, 0);
  const again = receive(timeline, outbox, { ...echo }, isOwn); // by sync too
  assert.equal(again.status, "duplicate");
  assert.equal(again.pending, null);
  assert.equal(timeline.size, 1);
});

test("only the payload fields present are sent, attachments and notes included", () => {
  const socket = new FakeSocket();
  const { outbox } = outboxOn(socket);
  outbox.add({
    body: "",
    conversation_id: "c1",
    private: true,
    attachment_ids: ["a1"],
    attachments: [{ id: "a1" }],
    row: {},
  });
  assert.deepEqual(Object.keys(socket.sent[0].payload).sort(), [
    "attachment_ids",
    "body",
    "client_id",
    "conversation_id",
    "private",
  ]);
});

test("an item can wait unsent and be failed by the caller", () => {
  const socket = new FakeSocket();
  const { outbox } = outboxOn(socket);
  const item = outbox.add({ body: "held" }, { send: false });
  assert.equal(socket.sent.length, 0);
  outbox.fail(item, { code: "rate_limited", message: "No visitor." });
  assert.equal(item.status, "failed");
  assert.equal(outbox.get(item.client_id), item);
});
