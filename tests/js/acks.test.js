import assert from "node:assert/strict";
import { test } from "node:test";

import { AckTimeoutError, call, newClientId, request } from "../../static/shared/client/index.js";
import { FakeSocket } from "./fake_socket.js";

test("call resolves to the server's answer", async () => {
  const socket = new FakeSocket();
  const answer = call(socket, "inbox:list", { view: "mine" }, 5000);
  const [sent] = socket.sent;
  assert.equal(sent.event, "inbox:list");
  assert.deepEqual(sent.payload, { view: "mine" });
  assert.equal(sent.timeoutMs, 5000);
  sent.answer({ ok: true, conversations: [] });
  assert.deepEqual(await answer, { ok: true, conversations: [] });
});

test("call rejects with a timeout error when no answer comes", async () => {
  const socket = new FakeSocket();
  const answer = call(socket, "conversation:get");
  socket.sent[0].expire();
  await assert.rejects(answer, (err) => err instanceof AckTimeoutError && err.code === "timeout");
});

test("request turns a timeout into an error answer, and an empty answer into internal", async () => {
  const socket = new FakeSocket();
  const lost = request(socket, "typing", { typing: true });
  socket.sent[0].expire();
  assert.equal((await lost).error.code, "timeout");
  const empty = request(socket, "typing", { typing: false });
  socket.sent[1].answer(undefined);
  assert.deepEqual((await empty).ok, false);
  assert.equal((await empty).error.code, "internal");
});

test("an error answer is passed on as the server gave it", async () => {
  const socket = new FakeSocket();
  const answer = call(socket, "conversation:claim", { conversation_id: "c1" });
  socket.sent[0].answer({ ok: false, error: { code: "already_assigned", message: "Taken." } });
  assert.deepEqual(await answer, {
    ok: false,
    error: { code: "already_assigned", message: "Taken." },
  });
});

test("client ids carry the prefix and 24 random hex digits, within the protocol's alphabet", () => {
  const ids = new Set(Array.from({ length: 200 }, () => newClientId("w")));
  assert.equal(ids.size, 200);
  for (const id of ids) assert.match(id, /^w-[0-9a-f]{24}$/);
  assert.match(newClientId(), /^[A-Za-z0-9_.:-]{1,64}$/);
});
