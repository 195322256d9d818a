/* Events with an acknowledgement. Every client→server event of the protocol is answered with
 * `{ok: true, …}` or `{ok: false, error: {code, message}}` (PROTOCOL.md §4); a lost answer shows
 * up as socket.io's timeout. `call` turns that into a promise; `request` never rejects, for
 * callers that treat a timeout like any other error answer. */

export const DEFAULT_TIMEOUT_MS = 10000;
export const TIMEOUT = "timeout";

/** The rejection of `call` when no answer came in time (`error.code === "timeout"`). */
export class AckTimeoutError extends Error {
  constructor(event) {
    super(`No answer to ${event} from the server.`);
    this.name = "AckTimeoutError";
    this.code = TIMEOUT;
    this.event = event;
  }
}

/** An error answer shaped like the server's, for answers the server did not give. */
export function errorAck(code, message) {
  return { ok: false, error: { code, message } };
}

/** Whatever came back, as an answer: a missing or malformed one is an `internal` error. */
export function normalizeAck(ack) {
  if (ack && typeof ack === "object" && typeof ack.ok === "boolean") {
    if (ack.ok || (ack.error && typeof ack.error.code === "string")) return ack;
    return errorAck("internal", "The server answered with an error.");
  }
  return errorAck("internal", "Empty answer from the server.");
}

/** Emit `event` with `payload` and wait for its answer: resolves to the ack (normalised), rejects
 * with AckTimeoutError after `timeoutMs`. */
export function call(socket, event, payload = {}, timeoutMs = DEFAULT_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    socket.timeout(timeoutMs).emit(event, payload, (err, ack) => {
      if (err) reject(new AckTimeoutError(event));
      else resolve(normalizeAck(ack));
    });
  });
}

/** Like `call`, but a timeout resolves to `{ok: false, error: {code: "timeout"}}`. */
export function request(socket, event, payload = {}, timeoutMs = DEFAULT_TIMEOUT_MS) {
  return call(socket, event, payload, timeoutMs).catch((err) => {
    if (err instanceof AckTimeoutError) return errorAck(TIMEOUT, err.message);
    throw err;
  });
}
