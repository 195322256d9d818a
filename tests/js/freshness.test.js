import assert from "node:assert/strict";
import { test } from "node:test";

import { isStale } from "../../static/shared/client/freshness.js";

const open = { id: "c1", status: "open", updated_at: "2026-12-01T10:00:00.000Z" };
const closed = { id: "c1", status: "closed", updated_at: "2026-12-01T10:00:00.250Z" };

test("an answer older than the state shown is stale", () => {
  assert.equal(isStale(open, closed), true);
  assert.equal(isStale(closed, open), false);
});

test("an equal stamp is applied (a rating or a read mark does not move it)", () => {
  assert.equal(isStale({ ...closed, rating: 4 }, closed), false);
});

test("another conversation, or nothing shown yet, is never stale", () => {
  assert.equal(isStale({ ...open, id: "c2" }, closed), false);
  assert.equal(isStale(open, null), false);
  assert.equal(isStale({ id: "c1" }, closed), false);
});
