/* Client ids: the name a client gives a message before the server has seen it. Resending the
 * same client_id is how a retry stays exactly-once (PROTOCOL.md §4, Guarantee 2), so an id is
 * made once per message and kept with it until the server confirms it. */

const ID_BYTES = 12;

/** A fresh client id: `prefix-` and 24 random hex digits (from crypto.getRandomValues), within
 * the protocol's 1–64 characters of `A-Za-z0-9_.:-`. The prefix tells senders apart in logs
 * ("w" for the widget, "d" for the dashboard). */
export function newClientId(prefix = "c") {
  const bytes = new Uint8Array(ID_BYTES);
  globalThis.crypto.getRandomValues(bytes);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${prefix}-${hex}`;
}
