/* The shared client core: what the widget frame and the dashboard both need to talk to the
 * server reliably, written once. Plain ES modules with no DOM and no build step; the socket is
 * passed in (anything with `.emit(event, payload, ack)`, `.timeout(ms).emit(...)`, `.on` and
 * `.connected`: socket.io's client, or a fake in tests/js/). Tested under node:
 * `node --test tests/js/`.
 *
 * API (import from "../shared/client/index.js" or the module itself):
 *
 * ids.js
 *   newClientId(prefix = "c") -> "prefix-<24 hex>"   a message's idempotency key, made once
 *
 * acks.js
 *   call(socket, event, payload = {}, timeoutMs = 10000) -> Promise<ack>
 *       emit with an ack; resolves to the answer ({ok: true, …} | {ok: false, error}), a missing
 *       answer normalised to an `internal` error; rejects with AckTimeoutError on timeout
 *   request(socket, event, payload, timeoutMs) -> Promise<ack>
 *       the same, but a timeout resolves to {ok: false, error: {code: "timeout", message}}
 *   AckTimeoutError (error.code === "timeout"), TIMEOUT = "timeout", DEFAULT_TIMEOUT_MS,
 *   errorAck(code, message), normalizeAck(ack)
 *
 * freshness.js
 *   isStale(next, current) -> bool   `next` is an older state (by updated_at) of the same
 *       conversation as `current`: an answer that crossed a newer event; ignore it
 *
 * outbox.js: the unsent-message queue
 *   new Outbox({socket, event = "message:send", timeoutMs, idPrefix, onChange(item),
 *               onAck(item, ack)})
 *   .setSocket(socket)           the socket may come later (the widget loads it lazily)
 *   .add(fields, {send = true}) -> item   queues {client_id (made if absent), status: "pending",
 *                                error: null, attempt: 0, …fields} and sends it
 *   .send(itemOrClientId) -> Promise<ack|null>   (re)send with the same client_id (the retry
 *                                action); not emitted while disconnected (waits for resend)
 *   .resend(filter?)              after a (re)connect: every pending item, and those failed by a
 *                                timeout, again with their client_ids; error-failed ones wait
 *   .confirm(clientId) -> item|null   the server has it (echo, sync): leaves the queue
 *   .fail(itemOrClientId, {code, message})   the caller's own failure (upload, visitor creation)
 *   .get(clientId), .has(clientId), .items(filter?), .size, .remove(clientId), .payload(item)
 *   item.status: "pending" | "failed" | "sent" (confirmed, out of the queue); item.error:
 *   {code, message} when failed ("timeout" when no answer came on a live connection, else the
 *   server's code). An ok answer after a timeout still confirms. onChange is called on every
 *   status change, onAck on every ok answer (also for an item confirmed meanwhile).
 *   PENDING, FAILED, SENT, PAYLOAD_FIELDS (what goes into the payload when present:
 *   conversation_id, client_id, body, private, attachment_ids)
 *
 * timeline.js: one conversation's messages
 *   new Timeline(conversationId = null)   (null: the first message sets it)
 *   .add(message) -> "added" | "duplicate" | "foreign"   dedupe by id and by the sender's
 *                                client_id; another conversation's message is "foreign"
 *   .addExact(messages, throughSeq?) -> added[]   a full load or sync answer: complete up to
 *                                its highest seq
 *   .messages() (seq order), .has(id), .get(id), .byClient(senderType, senderId, clientId),
 *   .size, .lastSeq (highest held), .knownThrough (nothing missing up to it), .hasGap,
 *   .conversationId, .reset(conversationId = null)
 *   ADDED, DUPLICATE, FOREIGN
 *
 * resync.js
 *   resync(socket, timeline, extra = {}, {timeoutMs, onlyIfGap = false, event = "sync"})
 *       -> Promise<{ok, added: message[], foreign: bool, error}>   emits `sync` with
 *       {...extra, after_seq: timeline.knownThrough} (the agent passes {conversation_id}), adds
 *       the answer; one request per timeline at a time (a call meanwhile queues one more);
 *       `foreign`: the answer is another conversation's (a visitor's chat changed: reload)
 *   fillGaps(socket, timeline, extra, options)   resync only if timeline.hasGap
 *
 * receive.js
 *   receive(timeline, outbox, message, isOwn) -> {status, pending, gap}   one message from
 *       anywhere into the timeline; an own echo confirms its outbox item (`pending`, whose row
 *       the caller may reuse); `gap`: call fillGaps
 */

export { newClientId } from "./ids.js";
export {
  AckTimeoutError,
  DEFAULT_TIMEOUT_MS,
  TIMEOUT,
  call,
  errorAck,
  normalizeAck,
  request,
} from "./acks.js";
export { FAILED, Outbox, PAYLOAD_FIELDS, PENDING, SENT } from "./outbox.js";
export { ADDED, DUPLICATE, FOREIGN, Timeline } from "./timeline.js";
export { fillGaps, resync } from "./resync.js";
export { receive } from "./receive.js";
export { isStale } from "./freshness.js";
