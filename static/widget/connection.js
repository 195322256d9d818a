/* The visitor's socket, wired to the shared client core: socket.io is fetched only when there is
 * a visitor (a token), the conversation is loaded once and then kept exact by `sync` after every
 * reconnect and whenever a live message jumps ahead, and unsent messages go out again with their
 * own client_ids once the connection is back. */

import { resync, fillGaps } from "../shared/client/resync.js";
import { applyConfig } from "./contact.js";
import { SOCKETIO, el } from "./dom.js";
import {
  clearToken,
  createVisitor,
  identityPayload,
  tokenFromLink,
  writeToken,
} from "./visitor.js";
import { tr } from "./i18n.js";
import {
  addMessage,
  clearMessages,
  renderSeen,
  seen,
  setConversation,
  show,
  showQueue,
  showSynced,
  showTyping,
} from "./chat_view.js";
import { state } from "./state.js";
import { renderStatus, setUnread } from "./status.js";

let creating = null;
let importFailures = 0;
let socketIo = null; // the module's io() once loaded: a later socket (another token) reuses it

/** socket.io's ES module build, imported only now (a page view without a chat never pays for
 * it); its URL is the fingerprinted one the frame page names. A browser keeps a failed module
 * fetch in its module map for the page's life, so a retry asks for the same file under a new
 * URL (the query string is ignored by the static files). */
function loadSocketIo() {
  if (socketIo) return Promise.resolve(socketIo);
  const url = importFailures ? `${SOCKETIO}?retry=${importFailures}` : SOCKETIO;
  return import(url).then((module) => (socketIo = module.io));
}

/** socket.io could not be fetched (network down, a proxy hiccup): say so, and try again with a
 * growing delay, as socket.io itself does for a dropped connection, so that what the visitor has
 * written goes out without them doing anything. */
function retryLoad() {
  importFailures += 1;
  state.socket = null;
  el.connection.textContent = tr("reconnecting");
  el.connection.hidden = false;
  setTimeout(connect, Math.min(30000, 500 * 2 ** importFailures));
}

const noAck = () => {
  /* best effort */
};

/** Open the socket for the stored token (once; a no-op without a token). */
export function connect() {
  if (state.socket || !state.token) return;
  state.socket = "loading";
  loadSocketIo().then((io) => {
    const socket = io("/visitor", {
      auth: { token: state.token },
      reconnectionDelay: 500,
      reconnectionDelayMax: 2000,
    });
    state.socket = socket;
    state.outbox.setSocket(socket);
    listen(socket);
  }, retryLoad);
}

function listen(socket) {
  socket.on("connect", onConnect);
  socket.on("connect_error", onConnectError);
  socket.on("disconnect", (reason) => {
    el.connection.textContent = tr("reconnecting");
    el.connection.hidden = false;
    if (reason === "io server disconnect") socket.connect();
  });
  socket.on("message:new", (m) => onLiveMessage(m));
  socket.on("conversation:updated", (c) => {
    if (state.conversation && state.conversation.id !== c.id && c.status === "closed") return;
    const fresh = state.conversation && state.conversation.id !== c.id;
    setConversation(c);
    if (fresh) getConversation();
  });
  socket.on("typing", (d) => {
    if (d && d.from === "agent") showTyping(d.typing ? d.name || tr("someone") : null);
  });
  socket.on("messages:read", (d) => {
    if (!d || d.by !== "agent") return;
    state.readByAgent = Math.max(state.readByAgent, d.seq);
    renderSeen();
  });
  socket.on("queue", (d) => showQueue(d && d.position));
  socket.on("availability", (d) => {
    state.online = !!(d && d.online);
    renderStatus();
  });
  socket.on("config:updated", (c) => {
    if (c && c.chat && typeof c.chat.online !== "boolean") c.chat.online = state.online;
    applyConfig(c);
  });
}

function onConnect() {
  el.connection.hidden = true;
  if (state.loaded && state.conversation) sync();
  else getConversation();
  state.outbox.resend();
  const who = identityPayload();
  if (who) state.socket.emit("visitor:update", who, noAck);
}

function onConnectError(err) {
  if (!(err && err.data && err.data.code === "unauthorized")) return;
  /* The token is no longer valid (visitor deleted, key rotated): start afresh on next send. */
  state.socket.disconnect();
  state.socket = null;
  state.outbox.setSocket(null);
  state.token = null;
  state.conversation = null;
  clearMessages();
  clearToken();
  el.ended.hidden = true;
  renderStatus();
  if (state.outbox.size) ensureVisitor().catch(noAck); /* pending resent on connect */
}

function onLiveMessage(m) {
  const { status, gap } = addMessage(m, true);
  if (status === "foreign") getConversation();
  else if (gap) fillGaps(state.socket, state.timeline).then(afterSync);
}

/** The whole current conversation (first load, or it changed). */
export function getConversation() {
  const socket = state.socket;
  socket.emit("conversation:get", {}, (ack) => {
    if (!ack || !ack.ok) return;
    if (ack.conversation) setConversation(ack.conversation);
    if (ack.queue) showQueue(ack.queue.position);
    const messages = ack.messages || [];
    for (const m of messages) addMessage(m, false);
    state.timeline.addExact(messages); // a full load is exact up to its last message
    restoreUnread(ack.conversation, messages);
    state.loaded = true;
    renderSeen();
    seen();
  });
}

/** After a reload: agent messages past the visitor's read mark are still unread. */
function restoreUnread(conversation, messages) {
  const readUpTo = (conversation && conversation.visitor_read_seq) || 0;
  state.readSent = Math.max(state.readSent || 0, readUpTo);
  if (state.open && state.view === "chat") return;
  const unread = messages.filter((m) => m.sender.type === "agent" && m.seq > readUpTo);
  if (unread.length !== state.unread) setUnread(unread.length);
}

/** After a reconnect: exactly what was missed, by seq; a different conversation means reload. */
function sync() {
  const conversationId = state.conversation.id;
  resync(state.socket, state.timeline)
    .then(afterSync)
    .then((ok) => {
      if (!ok) return;
      state.socket.emit("conversation:get", {}, (full) => {
        if (full && full.ok && full.conversation && full.conversation.id === conversationId) {
          setConversation(full.conversation);
        }
      });
    });
}

function afterSync(result) {
  if (result.foreign) getConversation();
  else if (result.ok) showSynced(result.added);
  return result.ok && !result.foreign;
}

/** The visitor, created now if there is none yet (their first message or file), and its socket. */
export function ensureVisitor(profile) {
  if (state.token) {
    connect();
    return Promise.resolve();
  }
  if (creating) return creating;
  creating = createVisitor(profile)
    .then((token) => {
      state.token = token;
      writeToken(token);
      connect();
      renderStatus();
    })
    .finally(() => {
      creating = null;
    });
  return creating;
}

/** Take over the visitor a token belongs to (a link from a mail, another tab, the loader). */
export function adoptToken(token) {
  if (token === state.token) return;
  if (state.socket && typeof state.socket !== "string") {
    state.socket.disconnect();
    state.socket = null;
    state.outbox.setSocket(null);
  }
  state.conversation = null;
  clearMessages();
  state.token = token;
  writeToken(token);
  state.loaded = false;
  connect();
}

/** A link from one of our mails: exchange it for the visitor's token and open that chat. */
export function resume(link) {
  tokenFromLink(link).then(
    (token) => {
      if (!token) return;
      adoptToken(token);
      show("chat", true);
    },
    () => {
      /* an expired link leaves the widget as it was */
    },
  );
}
