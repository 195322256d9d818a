/* The unsent-message queue. A message the user wrote stays here, under its client_id, until the
 * server has answered for it: then it leaves the queue and becomes part of the conversation
 * (the caller adds the acked message to its timeline).
 *
 * Why each rule:
 * - A message is only emitted on a connected socket (socket.io would otherwise buffer it and
 *   send it again by itself). Whatever is pending when the connection comes back is resent with
 *   the SAME client_id (`resend`): the server may have stored it before the drop, and the same
 *   client_id makes the resend answer with the stored message instead of storing it twice.
 * - No answer within `timeoutMs` on a live connection marks it failed (code "timeout") and the
 *   user gets a retry; on a dropped connection it stays pending until `resend`.
 * - An answer that comes after the timeout still counts: an ok ack confirms a failed message.
 * - An error answer (rate_limited, conversation_closed, invalid_payload, …) marks it failed and
 *   it is not resent blindly: only the user's retry sends it again.
 * - The user's own message echoed back (message:new, sync) confirms it too (`confirm`), so a
 *   lost ack never leaves a stale "failed" copy next to the stored one.
 *
 * The socket is anything with `.emit(event, payload, ack)` and `.connected`; it may be set later
 * (`setSocket`), as the widget loads socket.io only once the visitor starts a chat. */

import { DEFAULT_TIMEOUT_MS, TIMEOUT, errorAck, normalizeAck } from "./acks.js";
import { newClientId } from "./ids.js";

export const PENDING = "pending";
export const FAILED = "failed";
export const SENT = "sent";

/** The fields of an item that go into `message:send` when present (both namespaces). */
export const PAYLOAD_FIELDS = ["conversation_id", "client_id", "body", "private", "attachment_ids"];

const noop = () => {};

export class Outbox {
  /**
   * @param {object} options
   * @param {object} [options.socket] the socket, or null until there is one
   * @param {string} [options.event] the event that sends a message ("message:send")
   * @param {number} [options.timeoutMs] how long to wait for an answer before "failed"
   * @param {string} [options.idPrefix] prefix of generated client ids ("w", "d")
   * @param {(item) => void} [options.onChange] after every change of an item's status
   * @param {(item, ack) => void} [options.onAck] after an ok answer (also a late one)
   */
  constructor({
    socket = null,
    event = "message:send",
    timeoutMs = DEFAULT_TIMEOUT_MS,
    idPrefix = "c",
    onChange = noop,
    onAck = noop,
  } = {}) {
    this.socket = socket;
    this.event = event;
    this.timeoutMs = timeoutMs;
    this.idPrefix = idPrefix;
    this.onChange = onChange;
    this.onAck = onAck;
    this.queue = new Map(); // client_id -> item, in the order written
  }

  setSocket(socket) {
    this.socket = socket;
  }

  get connected() {
    return !!(this.socket && this.socket.connected);
  }

  /** Queue a message (`fields`: body, conversation_id, attachment_ids, … and anything the caller
   * wants to keep with it, such as its DOM row) and send it unless `send: false`. Returns the
   * item: `{client_id, status: "pending", error: null, …fields}`. */
  add(fields, { send = true } = {}) {
    const item = {
      ...fields,
      client_id: fields.client_id || newClientId(this.idPrefix),
      status: PENDING,
      error: null,
      attempt: 0,
    };
    this.queue.set(item.client_id, item);
    this.onChange(item);
    if (send) this.send(item);
    return item;
  }

  get(clientId) {
    return this.queue.get(clientId) || null;
  }

  has(clientId) {
    return this.queue.has(clientId);
  }

  /** Every queued item (pending or failed), oldest first; `filter` narrows them. */
  items(filter = null) {
    const all = Array.from(this.queue.values());
    return filter ? all.filter(filter) : all;
  }

  get size() {
    return this.queue.size;
  }

  /** Send (or resend: the user's retry) one item with its own client_id. Resolves to the answer
   * of this attempt, or to null when it was not emitted (no connection: it waits for `resend`) or
   * no answer came in time. Never rejects. */
  send(itemOrId) {
    const item = this._item(itemOrId);
    if (!item) return Promise.resolve(null);
    item.status = PENDING;
    item.error = null;
    this.onChange(item);
    if (!this.connected) return Promise.resolve(null);
    const attempt = ++item.attempt;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.queue.get(item.client_id) === item && item.attempt === attempt) {
          if (this.connected)
            this._fail(item, errorAck(TIMEOUT, "No answer from the server.").error);
        }
        resolve(null);
      }, this.timeoutMs);
      this.socket.emit(this.event, this.payload(item), (raw) => {
        clearTimeout(timer);
        const ack = normalizeAck(raw);
        this._answer(item, attempt, ack);
        resolve(ack);
      });
    });
  }

  /** After a (re)connect: send again every item still pending, and those that failed only for
   * want of an answer. Items an error answer failed wait for the user. */
  resend(filter = null) {
    const due = this.items(
      (item) =>
        (item.status === PENDING || (item.error && item.error.code === TIMEOUT)) &&
        (!filter || filter(item)),
    );
    return Promise.all(due.map((item) => this.send(item)));
  }

  /** The server has the message (an echo or a sync showed it): it leaves the queue. Returns the
   * item, or null when nothing was queued under that client_id. */
  confirm(clientId) {
    const item = this.queue.get(clientId);
    if (!item) return null;
    this.queue.delete(clientId);
    item.status = SENT;
    item.error = null;
    this.onChange(item);
    return item;
  }

  /** Mark an item failed for a reason of the caller's (an upload or a visitor that could not be
   * created): `error` is `{code, message}`. */
  fail(itemOrId, error) {
    const item = this._item(itemOrId);
    if (item) this._fail(item, error);
  }

  /** Drop an item without sending it (the user discarded it). */
  remove(clientId) {
    return this.queue.delete(clientId);
  }

  /** The message:send payload of an item: the PAYLOAD_FIELDS it has. */
  payload(item) {
    const payload = {};
    for (const key of PAYLOAD_FIELDS) if (item[key] !== undefined) payload[key] = item[key];
    return payload;
  }

  _item(itemOrId) {
    const id = typeof itemOrId === "string" ? itemOrId : itemOrId && itemOrId.client_id;
    return this.queue.get(id) || null;
  }

  _answer(item, attempt, ack) {
    if (ack.ok) {
      // Any attempt's ok answer will do, also one after a timeout: the same client_id names the
      // same stored message.
      this.confirm(item.client_id);
      this.onAck(item, ack);
      return;
    }
    // An error answer of an older attempt says nothing about the one in flight.
    if (this.queue.get(item.client_id) === item && item.attempt === attempt) {
      this._fail(item, ack.error);
    }
  }

  _fail(item, error) {
    item.status = FAILED;
    item.error = error;
    this.onChange(item);
  }
}
