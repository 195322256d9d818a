/* A stand-in for socket.io's client (not our code) with the surface the core uses: emit with an
 * ack callback, timeout(ms).emit, on, connected. The test plays the server: it sees every emit in
 * `sent` and answers it when and how it likes (or never). */

export class FakeSocket {
  constructor({ connected = true } = {}) {
    this.connected = connected;
    this.sent = []; // {event, payload, answer(ack), timeoutMs}
    this.handlers = new Map();
  }

  emit(event, payload, ack) {
    const record = { event, payload, answered: false, timeoutMs: null };
    record.answer = (value) => {
      if (record.answered) return;
      record.answered = true;
      ack(value);
    };
    this.sent.push(record);
    return this;
  }

  /** socket.io's timeout(ms).emit: the ack gets (err, value); `expire()` is the timeout. */
  timeout(ms) {
    return {
      emit: (event, payload, ack) => {
        this.emit(event, payload, (value) => ack(null, value));
        const record = this.sent[this.sent.length - 1];
        record.timeoutMs = ms;
        record.expire = () => {
          if (record.answered) return;
          record.answered = true;
          ack(new Error("operation has timed out"));
        };
      },
    };
  }

  on(event, handler) {
    if (!this.handlers.has(event)) this.handlers.set(event, []);
    this.handlers.get(event).push(handler);
    return this;
  }

  /** The server sends `event` to this client. */
  receive(event, data) {
    for (const handler of this.handlers.get(event) || []) handler(data);
  }

  disconnect() {
    this.connected = false;
    this.receive("disconnect", "io client disconnect");
  }

  reconnect() {
    this.connected = true;
    this.receive("connect");
  }

  /** Emits of one event, oldest first. */
  emitted(event) {
    return this.sent.filter((r) => r.event === event);
  }
}

/** A message as the server sends it. */
export function message(seq, fields = {}) {
  return {
    id: `m${seq}`,
    conversation_id: "c1",
    seq,
    client_id: null,
    sender: { type: "agent", id: "a1", name: "Alice" },
    body: `message ${seq}`,
    private: false,
    attachments: [],
    created_at: "2026-01-01T00:00:00Z",
    ...fields,
  };
}

/** Let pending promise callbacks run. */
export function settle() {
  return new Promise((resolve) => setImmediate(resolve));
}
