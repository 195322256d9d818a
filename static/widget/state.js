/* What the frame knows, in one place: the modules read and change it, frame.js wires them. The
 * conversation's messages live in a Timeline and the visitor's unsent ones in an Outbox (the
 * shared client core: static/shared/client/). */

import { Outbox } from "../shared/client/outbox.js";
import { Timeline } from "../shared/client/timeline.js";

export const SEND_TIMEOUT = 10000;

export const state = {
  config: null,
  online: false,
  open: false, // the host page shows the panel
  view: "home", // "home" (contact panel) or "chat"
  token: null,
  socket: null, // null, "loading" (socket.io being fetched) or the socket
  loaded: false, // the conversation was fetched at least once on this socket
  conversation: null,
  timeline: new Timeline(),
  outbox: new Outbox({ idPrefix: "w", timeoutMs: SEND_TIMEOUT }),
  readByAgent: 0,
  readSent: 0,
  unread: 0,
  identity: {}, // name, email, hash from the host page's identify()
  page: {}, // page_url, referrer from the loader
  emailKnown: null,
  required: {},
};

/** The socket when it is connected, else null. */
export function liveSocket() {
  const s = state.socket;
  return s && typeof s !== "string" && s.connected ? s : null;
}
