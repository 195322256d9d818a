/* Filling a timeline from the server: `sync` with the last seq this client is sure of returns
 * exactly what it missed (PROTOCOL.md §4, Guarantee 3). Used after a reconnect (anything may have
 * been missed) and when a live message jumps ahead of what is known (timeline.hasGap).
 *
 * The visitor's `sync` is `{after_seq}` (its current conversation); the agent's is
 * `{conversation_id, after_seq}`: the caller passes the extra fields. One sync per timeline runs
 * at a time; asking again while one is in flight queues one more, which starts from where the
 * first one left the timeline. */

import { DEFAULT_TIMEOUT_MS, request } from "./acks.js";

const running = new WeakMap(); // timeline -> {current, queued}

/**
 * Ask for every message after `timeline.knownThrough` and add them.
 * Resolves to `{ok, added, foreign, error}`: `added` the messages new to the timeline (in seq
 * order), `foreign` true when the answer holds another conversation's messages (for a visitor:
 * its current conversation changed, reload it; nothing of it is added). Never rejects.
 * `onlyIfGap`: skip the request (ok, nothing added) when the timeline has no gap by then.
 */
export function resync(
  socket,
  timeline,
  extra = {},
  { timeoutMs = DEFAULT_TIMEOUT_MS, onlyIfGap = false, event = "sync" } = {},
) {
  let state = running.get(timeline);
  if (!state) {
    state = { current: null, queued: null };
    running.set(timeline, state);
  }
  const job = { socket, timeline, extra, timeoutMs, event, onlyIfGap };
  if (!state.current) {
    state.current = runOnce(job).finally(() => startQueued(state));
    return state.current;
  }
  if (state.queued) {
    // Later callers share the one queued request; a full resync wins over a gap check.
    state.queued.job.onlyIfGap = state.queued.job.onlyIfGap && onlyIfGap;
    return state.queued.promise;
  }
  const queued = { job };
  queued.promise = new Promise((resolve) => {
    queued.start = () => runOnce(queued.job).then(resolve);
  });
  state.queued = queued;
  return queued.promise;
}

/** Fill a gap if there is one (after a live message): a no-op otherwise. */
export function fillGaps(socket, timeline, extra = {}, options = {}) {
  return resync(socket, timeline, extra, { ...options, onlyIfGap: true });
}

function startQueued(state) {
  const queued = state.queued;
  state.queued = null;
  state.current = queued ? queued.start().finally(() => startQueued(state)) : null;
}

function runOnce({ socket, timeline, extra, timeoutMs, event, onlyIfGap }) {
  if (onlyIfGap && !timeline.hasGap) return Promise.resolve(nothing());
  return syncOnce(socket, timeline, extra, timeoutMs, event);
}

function nothing() {
  return { ok: true, added: [], foreign: false, error: null };
}

async function syncOnce(socket, timeline, extra, timeoutMs, event) {
  const after = timeline.knownThrough;
  const conversationId = timeline.conversationId;
  const ack = await request(socket, event, { ...extra, after_seq: after }, timeoutMs);
  if (!ack.ok) return { ok: false, added: [], foreign: false, error: ack.error };
  const messages = Array.isArray(ack.messages) ? ack.messages : [];
  if (timeline.conversationId !== conversationId) {
    return { ok: true, added: [], foreign: true, error: null }; // reset meanwhile
  }
  const foreign =
    conversationId != null && messages.some((m) => m.conversation_id !== conversationId);
  if (foreign) return { ok: true, added: [], foreign: true, error: null };
  const added = timeline.addExact(messages).sort((a, b) => a.seq - b.seq);
  return { ok: true, added, foreign: false, error: null };
}
