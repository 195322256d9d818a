/* The /agent socket: acks with a timeout, client ids, and the agent's unsent messages, which
 * are sent again with the same client_id (so the server stores each once). */
import { $ } from "./dom.js";
import { me, root, state } from "./state.js";
import { addMessage } from "./timeline.js";

export let socket = null;

/** Open the socket. The page's CSRF token proves it comes from this page, not another site
 * riding on the cookie; it lasts as long as the session, so every reconnect presents it. */
export function openSocket() {
  socket = io("/agent", { withCredentials: true, auth: { csrf_token: root.dataset.csrfToken } });
  return socket;
}

/** Emit with an ack; resolves to the ack, or to an error ack when the server does not answer. */
export function call(event, payload, timeout) {
  return new Promise((resolve) => {
    socket.timeout(timeout || 10000).emit(event, payload || {}, (err, ack) => {
      if (err)
        resolve({ ok: false, error: { code: "timeout", message: "No answer from the server." } });
      else resolve(ack || { ok: false, error: { code: "internal", message: "Empty answer." } });
    });
  });
}

export function newClientId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return `d-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The banner over the page while the connection is down (with a sign-in link if refused). */
export function showBanner(text, withLogin) {
  $("conn-banner-text").textContent = text;
  $("conn-banner-login").hidden = !withLogin;
  $("conn-banner").hidden = false;
}

export function hideBanner() {
  $("conn-banner").hidden = true;
}

// --- the unsent-message queue --------------------------------------------------------------

let outboxChanged = () => {};

/** Called with (message, settled) when an own message starts sending and when it settles. */
export function onOutboxChange(listener) {
  outboxChanged = listener;
}

/** A new own message (a reply, a note or a file), queued and sent. */
export function queueMessage(conversationId, fields) {
  const p = {
    client_id: newClientId(),
    conversation_id: conversationId,
    body: "",
    private: false,
    status: "pending",
    created_at: new Date().toISOString(),
    sender: { type: "agent", id: me.id, name: me.name },
    ...fields,
  };
  state.pending.set(p.client_id, p);
  outboxChanged(p, true);
  deliver(p);
  return p;
}

/** Send (or resend) one message; the same client_id makes a resend exactly-once. */
export function deliver(p) {
  p.status = "pending";
  p.error = null;
  outboxChanged(p, false);
  if (!socket.connected) return; // sent again once the connection is back (resendPending)
  const payload = {
    conversation_id: p.conversation_id,
    client_id: p.client_id,
    body: p.body,
    private: p.private,
  };
  if (p.attachment_ids) payload.attachment_ids = p.attachment_ids;
  call("message:send", payload).then((ack) => {
    if (ack.ok) {
      state.pending.delete(p.client_id);
      addMessage(ack.message);
    } else if (
      state.pending.has(p.client_id) &&
      (ack.error.code !== "timeout" || socket.connected)
    ) {
      p.status = "failed";
      p.error = ack.error.message;
    } // else the connection dropped: it stays pending, and is resent once it is back
    outboxChanged(p, true);
  });
}

/** Send again every message still pending that `which` picks (all when omitted). */
export function resendPending(which = () => true) {
  state.pending.forEach((p) => {
    if (p.status === "pending" && which(p)) deliver(p);
  });
}
