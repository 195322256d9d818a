/* Where a message from the server lands, whichever way it came (live message:new, an ack, a
 * sync answer, a full load): once in the timeline, and out of the unsent queue when it is this
 * client's own (its echo confirms a message whose ack was lost). */

import { ADDED } from "./timeline.js";

/**
 * Take `message` into `timeline`; when `isOwn(message)` and it carries a client_id, confirm the
 * outbox item of that client_id.
 * Returns `{status, pending, gap}`: `status` is Timeline.add's ("added", "duplicate",
 * "foreign"), `pending` the outbox item it confirmed (or null: the caller may reuse its row),
 * `gap` whether the timeline now has a gap to fill (see resync.fillGaps).
 */
export function receive(timeline, outbox, message, isOwn = () => false) {
  const status = timeline.add(message);
  let pending = null;
  if (status !== "foreign" && outbox && message.client_id && isOwn(message)) {
    pending = outbox.confirm(message.client_id);
  }
  return { status, pending, gap: status === ADDED && timeline.hasGap };
}
