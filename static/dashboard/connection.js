/* The /agent socket, its acks, and the agent's unsent messages: the dashboard's use of the
 * shared client core (static/shared/client/), which the widget frame uses too. */
import { io } from "../vendor/socket.io/socket.io.esm.min.js";
import { Outbox, request } from "../shared/client/index.js";
import { $ } from "./dom.js";
import { me, root } from "./state.js";

export let socket = null;

const listeners = { changed: () => {}, stored: () => {} };

/** The agent's messages until the server has them, each resent with its own client_id (so
 * the server stores it once) after a reconnect or a retry. */
export const outbox = new Outbox({
  idPrefix: "d",
  onChange: (item) => listeners.changed(item),
  onAck: (item, ack) => listeners.stored(item, ack.message),
});

/** Open the socket. The page's CSRF token proves it comes from this page, not another site
 * riding on the cookie; it lasts as long as the session, so every reconnect presents it. */
export function openSocket() {
  socket = io("/agent", { withCredentials: true, auth: { csrf_token: root.dataset.csrfToken } });
  outbox.setSocket(socket);
  return socket;
}

/** Emit with an ack; resolves to the ack, or to an error ack when the server does not answer. */
export function call(event, payload = {}, timeout = undefined) {
  return request(socket, event, payload, timeout);
}

/** ``changed(item)`` after an own message's status changed (pending, failed, sent);
 * ``stored(item, message)`` once the server stored it and answered with the message. */
export function onOutbox(changed, stored) {
  listeners.changed = changed;
  listeners.stored = stored;
}

/** A new own message (a reply, a note or a file) to a conversation, queued and sent. */
export function queueMessage(conversationId, fields) {
  return outbox.add({
    conversation_id: conversationId,
    body: "",
    private: false,
    created_at: new Date().toISOString(),
    sender: { type: "agent", id: me.id, name: me.name },
    ...fields,
  });
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
