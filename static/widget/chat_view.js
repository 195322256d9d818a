/* The chat view: message rows (stored, pending, failed), the "Seen" mark, typing and queue lines,
 * the closed-conversation footer, and the switch between the contact panel and the chat.
 * Messages enter through addMessage (one at a time) or showSynced (a sync answer already in the
 * timeline); the shared core dedupes them, so each is drawn once. */

import { isStale } from "../shared/client/freshness.js";
import { receive } from "../shared/client/receive.js";
import { ADDED, DUPLICATE } from "../shared/client/timeline.js";
import { el, linkify, node } from "./dom.js";
import { toHost } from "./host.js";
import { timeOf, tr } from "./i18n.js";
import { liveSocket, state } from "./state.js";
import { renderStatus, setUnread } from "./status.js";

const rows = new Map(); // message id -> row
let agentTypingTimer = null;

const isOwn = (m) => m.sender.type === "visitor";

/* ---- views and focus */
export function show(view, focus) {
  state.view = view;
  el.home.hidden = view !== "home";
  el.chat.hidden = view !== "chat";
  el.back.hidden = view !== "chat";
  el.brandTagline.hidden = view === "chat";
  el.chatTitle.hidden = view !== "chat";
  if (view === "chat") {
    scrollDown();
    seen();
  }
  if (focus) (view === "chat" ? el.chatInput : el.startChat).focus();
}

export function scrollDown() {
  el.log.scrollTop = el.log.scrollHeight;
}

/** The visitor has seen the chat: clear the count and tell agents what was read. */
export function seen() {
  if (!state.open || state.view !== "chat") return;
  if (state.unread) setUnread(0);
  const socket = liveSocket();
  const seq = state.timeline.lastSeq;
  if (socket && state.conversation && seq > state.readSent) {
    state.readSent = seq;
    socket.emit("messages:read", { seq }, () => {
      /* best effort */
    });
  }
}

/* ---- rows */
function rowFor(sender) {
  const li = node("div", "bubble-row " + sender);
  li.setAttribute("data-testid", "chat-message");
  li.setAttribute("data-sender", sender);
  return li;
}

/* The bubble is built once per row (a live region announces added nodes, so confirming a
 * pending message must not rebuild its text); the meta line below it is rebuilt freely. */
function fillRow(li, m) {
  const sender = m.sender.type;
  if (!li.querySelector(".bubble, .attachments")) {
    if (sender === "agent" && m.sender.name) {
      const prev = li.previousElementSibling || el.messages.lastElementChild;
      if (!(prev && prev !== li && prev.getAttribute("data-name") === m.sender.name)) {
        li.appendChild(node("p", "sender", m.sender.name));
      }
      li.setAttribute("data-name", m.sender.name);
    }
    if (m.body || !(m.attachments && m.attachments.length)) {
      const bubble = node("p", "bubble");
      bubble.appendChild(sender === "agent" ? linkify(m.body) : document.createTextNode(m.body));
      li.appendChild(bubble);
    }
    if (m.attachments && m.attachments.length) showAttachments(li, m.attachments);
  }
  const old = li.querySelector(".meta");
  if (old) old.remove();
  const meta = node("p", "meta");
  meta.setAttribute("aria-hidden", "true");
  const time = node("time", "time", timeOf(m.created_at));
  if (m.created_at) time.dateTime = m.created_at;
  meta.appendChild(time);
  li.appendChild(meta);
  return meta;
}

/** A message's files, drawn by attachments.js, fetched the first time a file is shown. */
function showAttachments(li, attachments) {
  const box = node("div", "attachments");
  li.appendChild(box);
  import("../shared/attachments.js").then(({ render }) => box.replaceWith(render(attachments)));
}

function renderMessage(m) {
  const li = rows.get(m.id) || rowFor(m.sender.type);
  li.setAttribute("data-id", m.id);
  li.setAttribute("data-seq", String(m.seq));
  li.className = "bubble-row " + m.sender.type;
  rows.set(m.id, li);
  const after = Array.from(el.messages.children).find((other) => {
    const seq = other.getAttribute("data-seq");
    return other !== li && (seq === null || Number(seq) > m.seq);
  });
  el.messages.insertBefore(li, after || null);
  fillRow(li, m);
}

function failureText(error) {
  if (!error || error.code === "timeout") return tr("failed");
  if (error.code === "rate_limited") return tr("rateLimited");
  return error.message || tr("failed");
}

/** Draw an unsent message (the outbox's onChange): "Sending…", or failed with a retry. */
export function renderPending(item) {
  if (item.status === "sent") return; // its stored message takes the row over
  const li = item.row || rowFor("visitor");
  item.row = li;
  li.setAttribute("data-client-id", item.client_id);
  li.setAttribute("data-status", item.status);
  li.className = "bubble-row visitor " + item.status;
  if (!li.parentNode) el.messages.appendChild(li);
  const shown = { sender: { type: "visitor" }, body: item.body, attachments: item.attachments };
  const meta = fillRow(li, shown);
  if (item.status === "pending") meta.appendChild(node("span", "state", tr("sending")));
  if (item.status === "failed") {
    meta.removeAttribute("aria-hidden");
    meta.appendChild(node("span", "state", failureText(item.error)));
    const retry = node("button", "retry", tr("retry"));
    retry.type = "button";
    retry.setAttribute("data-testid", "chat-retry");
    retry.addEventListener("click", () => {
      state.outbox.send(item);
      el.chatInput.focus();
    });
    meta.appendChild(retry);
  }
  scrollDown();
}

export function renderSeen() {
  const old = el.messages.querySelector(".seen-label");
  if (old) old.remove();
  let target = null;
  for (const r of el.messages.querySelectorAll(".bubble-row.visitor[data-seq]")) {
    if (Number(r.getAttribute("data-seq")) <= state.readByAgent) target = r;
  }
  if (target) target.querySelector(".meta").appendChild(node("span", "seen-label", tr("seen")));
}

/** Forget the conversation's messages (another conversation, or a new visitor). */
export function clearMessages(conversationId = null) {
  state.timeline.reset(conversationId);
  rows.clear();
  state.readByAgent = state.readSent = 0;
  for (const r of el.messages.querySelectorAll("[data-seq]")) r.remove();
}

export function setConversation(c) {
  if (!c || isStale(c, state.conversation)) return;
  if (state.conversation && state.conversation.id !== c.id) clearMessages(c.id);
  else if (!state.timeline.size) state.timeline.reset(c.id);
  state.conversation = c;
  if (c.visitor && c.visitor.email) state.emailKnown = c.visitor.email;
  el.ended.hidden = c.status !== "closed";
  el.rated.hidden = !c.rating;
  Array.from(el.stars.children).forEach((b, i) => {
    b.setAttribute("aria-pressed", String(c.rating === i + 1));
  });
  renderStatus();
}

/**
 * Take one message (live, in an ack, or from a full load). Returns the timeline's verdict:
 * "added", "duplicate" or "foreign" (another conversation's: the caller reloads), and whether
 * a gap to fill showed. `sent` is the outbox item an ack answered, whose row becomes the
 * message's.
 */
export function addMessage(m, live, sent = null) {
  if (!m || m.private) return { status: DUPLICATE, gap: false };
  const { status, pending, gap } = receive(state.timeline, state.outbox, m, isOwn);
  if (status === ADDED)
    display(m, live, pending || (sent && sent.client_id === m.client_id ? sent : null));
  return { status, gap };
}

/** Draw what a sync answer added to the timeline (an own message among them confirms its
 * pending copy). */
export function showSynced(messages) {
  for (const m of messages) {
    const pending = isOwn(m) && m.client_id ? state.outbox.confirm(m.client_id) : null;
    display(m, true, pending);
  }
}

function display(m, live, pending) {
  if (pending && pending.row && !pending.row.hasAttribute("data-id")) {
    rows.set(m.id, pending.row);
    pending.row.removeAttribute("data-client-id");
    pending.row.removeAttribute("data-status");
  }
  renderMessage(m);
  renderSeen();
  scrollDown();
  if (!live) return;
  toHost({
    type: "event",
    name: "message",
    data: { id: m.id, sender: m.sender.type, body: m.body },
  });
  if (m.sender.type !== "agent") return;
  showTyping(null);
  if (state.open && state.view === "chat") seen();
  else setUnread(state.unread + 1);
}

/** Automatic routing: the visitor's place in line while every agent is busy (0: none). */
export function showQueue(position) {
  el.queue.hidden = !(position > 0);
  el.queue.textContent = position > 0 ? tr("queue", { n: position }) : "";
}

export function showTyping(name) {
  clearTimeout(agentTypingTimer);
  el.typing.hidden = !name;
  el.typing.textContent = name ? tr("typing", { name }) : "";
  if (name) agentTypingTimer = setTimeout(() => showTyping(null), 8000);
}
