/* The transcript: messages, private notes, activity lines and day separators, the agent's
 * own unsent messages with their state, "Seen", and the visitor's typing line. */
import { $, clock, dayLabel, fullTime, h, parseTime, visitorName } from "./dom.js";
import { render as renderAttachments } from "../shared/attachments.js";
import { PENDING } from "../shared/client/index.js";
import { outbox, socket } from "./connection.js";
import { me, state } from "./state.js";
import { storedSorted, unsent, withActivity } from "./timeline.js";

const el = { transcript: $("transcript"), typing: $("typing-indicator") };

let typingTimer = null;

/** Draw the open conversation again; it stays scrolled to the bottom if it was near it. */
export function renderTranscript(forceBottom) {
  const box = el.transcript;
  const nearBottom = forceBottom || box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const stored = storedSorted();
  const lastSeen = lastSeenId(stored);
  const pending = unsent();
  const nodes = [];
  let lastDay = null;
  withActivity(stored)
    .concat(pending)
    .forEach((m) => {
      const date = parseTime(m.created_at) || new Date();
      const day = date.toDateString();
      if (day !== lastDay) {
        nodes.push(daySeparator(date));
        lastDay = day;
      }
      nodes.push(m.kind ? activityNode(m) : messageNode(m, m.id && m.id === lastSeen));
    });
  if (!stored.length && !pending.length) nodes.push(h("p", "transcript-empty", "No messages yet."));
  box.replaceChildren(...nodes);
  if (nearBottom) box.scrollTop = box.scrollHeight;
}

/** The last agent reply the visitor has read (it carries "Seen"). */
function lastSeenId(stored) {
  const seenSeq = state.conv?.visitor_read_seq || 0;
  let lastSeen = null;
  stored.forEach((m) => {
    if (m.sender.type === "agent" && !m.private && m.seq <= seenSeq) lastSeen = m.id;
  });
  return lastSeen;
}

function daySeparator(date) {
  const sep = h("div", "day-sep");
  sep.setAttribute("role", "separator");
  sep.append(h("span", null, dayLabel(date)));
  return sep;
}

/** Claims, transfers, closes and reopens: agents-only lines, not messages. */
function activityNode(line) {
  const node = h("div", "activity-line");
  node.dataset.testid = "activity";
  node.dataset.kind = line.kind;
  node.append(h("span", null, line.text));
  node.append(timeNode(line.created_at));
  return node;
}

function timeNode(iso) {
  const time = h("time", "msg-time", clock(iso));
  time.dateTime = iso || "";
  time.title = fullTime(iso);
  return time;
}

function senderName(m, type) {
  if (!m.id) return me.name;
  if (m.sender.name) return m.sender.name;
  if (type === "visitor") return visitorName(state.conv?.visitor);
  return type === "system" ? "System" : "Agent";
}

function messageNode(m, seen) {
  const isPending = !m.id;
  const type = isPending ? "agent" : m.sender.type;
  const node = h("div", `msg msg--${type}`);
  node.dataset.testid = "message";
  node.dataset.sender = type;
  if (m.private) {
    node.dataset.private = "true";
    node.classList.add("msg--note");
  }
  if (!isPending) {
    node.dataset.seq = String(m.seq);
    node.dataset.messageId = m.id;
  }
  if (isPending || (type === "agent" && m.sender.id === me.id)) node.classList.add("msg--own");

  const meta = h("div", "msg-meta");
  meta.append(h("span", "msg-name", senderName(m, type)));
  if (m.private) meta.append(h("span", "msg-tag", "Private note"));
  meta.append(timeNode(m.created_at));

  node.append(meta, h("div", "msg-body", m.body));
  if (m.attachments?.length) node.append(renderAttachments(m.attachments));
  if (isPending) node.append(pendingState(m));
  else if (seen) node.append(h("div", "msg-state msg-state--seen", "Seen"));
  return node;
}

function pendingState(p) {
  const line = h("div", "msg-state");
  if (p.status !== PENDING) {
    line.classList.add("msg-state--failed");
    line.append(h("span", null, `Not sent${p.error ? `: ${p.error.message}` : "."} `));
    const retry = h("button", "link-button", "Retry");
    retry.type = "button";
    retry.dataset.testid = "retry";
    retry.addEventListener("click", () => outbox.send(p));
    line.append(retry);
  } else {
    line.textContent = socket.connected ? "Sending…" : "Waiting for the connection…";
  }
  return line;
}

/** "<visitor> is typing…", cleared after ten seconds without news. */
export function setVisitorTyping(typing) {
  state.visitorTyping = typing;
  clearTimeout(typingTimer);
  el.typing.textContent =
    typing && state.conv ? `${visitorName(state.conv.visitor)} is typing…` : "";
  if (typing) typingTimer = setTimeout(() => setVisitorTyping(false), 10000);
}
