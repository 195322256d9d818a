/* The messages of one conversation as this client knows them. Events are hints and `sync` is the
 * truth (DESIGN.md, "How a message travels"): a message can come live (message:new), in an ack,
 * in a sync answer or in a full load, in any order and more than once. The timeline keeps each
 * once (by id), in seq order, and tracks how far it is complete:
 *
 * - `lastSeq`: the highest seq held;
 * - `knownThrough`: the seq up to which nothing can be missing. It moves with each message that
 *   follows it directly and with every exact answer (a full load, a sync). A visitor never sees
 *   private notes, which take seqs too, so a jump in seq is not proof of a loss: it is a reason
 *   to ask (`hasGap`), and the sync answer settles it.
 *
 * Pure data: no socket, no DOM. resync.js asks the server to fill gaps. */

export const ADDED = "added";
export const DUPLICATE = "duplicate";
export const FOREIGN = "foreign";

export class Timeline {
  /** @param {string|null} conversationId messages of other conversations are refused (null:
   *  the first message sets it). */
  constructor(conversationId = null) {
    this.reset(conversationId);
  }

  /** Forget everything: another conversation, or a reload. */
  reset(conversationId = null) {
    this.conversationId = conversationId;
    this.byId = new Map();
    this.byClientId = new Map(); // "sender type:sender id:client_id" -> message
    this.seqs = new Set();
    this.knownThrough = 0;
    this.lastSeq = 0;
  }

  /** Take one message. Returns "added", "duplicate" (held already, by id or as the same
   * sender's client_id) or "foreign" (another conversation's: the caller decides). */
  add(message) {
    if (this.conversationId == null) this.conversationId = message.conversation_id;
    if (message.conversation_id !== this.conversationId) return FOREIGN;
    if (this.byId.has(message.id)) return DUPLICATE;
    const key = clientKey(message);
    if (key && this.byClientId.has(key)) return DUPLICATE;
    this.byId.set(message.id, message);
    if (key) this.byClientId.set(key, message);
    this.seqs.add(message.seq);
    this.lastSeq = Math.max(this.lastSeq, message.seq);
    this._advance();
    return ADDED;
  }

  /** Take an exact answer: every message there is up to `throughSeq` (a full load: the
   * conversation's messages; a sync: what came after `after_seq`). Returns the added ones. */
  addExact(messages, throughSeq = null) {
    const added = messages.filter((m) => this.add(m) === ADDED);
    const top = messages.reduce((seq, m) => Math.max(seq, m.seq), throughSeq || 0);
    this.knownThrough = Math.max(this.knownThrough, top);
    this._advance();
    return added;
  }

  has(id) {
    return this.byId.has(id);
  }

  get(id) {
    return this.byId.get(id) || null;
  }

  /** The message this sender sent under `clientId`, if held. */
  byClient(senderType, senderId, clientId) {
    return this.byClientId.get(`${senderType}:${senderId || ""}:${clientId}`) || null;
  }

  /** Every message, in seq order. */
  messages() {
    return Array.from(this.byId.values()).sort((a, b) => a.seq - b.seq);
  }

  get size() {
    return this.byId.size;
  }

  /** Something past `knownThrough` is held: seqs between may be missing. */
  get hasGap() {
    return this.lastSeq > this.knownThrough;
  }

  _advance() {
    // Messages that follow knownThrough directly extend it.
    let next = this.knownThrough + 1;
    while (next <= this.lastSeq && this.seqs.has(next)) next += 1;
    this.knownThrough = next - 1;
  }
}

function clientKey(message) {
  if (!message.client_id || !message.sender) return null;
  return `${message.sender.type}:${message.sender.id || ""}:${message.client_id}`;
}
