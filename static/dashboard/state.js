/* What the dashboard knows: the signed-in agent, and one state object every panel reads.
 *
 * Socket events are hints; `inbox:list`, `conversation:open` and `sync` are the truth, so the
 * state is refilled from them after a reconnect and ends up with nothing missing or doubled. */

export const root = document.getElementById("dashboard");

export const me = {
  id: root?.dataset.agentId,
  name: root?.dataset.agentName,
  admin: root?.dataset.admin === "1",
};

export const VIEWS = ["unassigned", "mine", "open", "closed"];

export const state = {
  view: "unassigned",
  items: [], // conversations of the current view
  known: new Map(), // id -> conversation, from every listing and event
  counts: {},
  openId: null,
  conv: null, // the open conversation
  visitor: null,
  history: [],
  activity: new Map(), // id -> activity line of the open conversation (messages: timeline.js)
  lastReadSent: 0,
  visitorTyping: false,
  agents: new Map(), // agent_id -> {name, status}
  canned: [],
  cannedIndex: 0,
  noteMode: false,
  connectedOnce: false,
  listGeneration: 0,
  query: "", // the inbox search, when one is shown instead of the view
  pages: 1, // pages of the current list shown ("Show more")
  total: null, // how many the current list holds on the server
  myStatus: "online",
  announcedNew: new Set(), // conversations whose arrival was already announced
};

export function isMine(conv) {
  return !!(conv && conv.assignee && conv.assignee.id === me.id);
}

/** Unassigned, mine, or I am an admin: the actions that change a conversation are offered. */
export function mayManage(conv) {
  return !conv.assignee || isMine(conv) || me.admin;
}

export function inView(conv, view) {
  if (view === "closed") return conv.status === "closed";
  if (conv.status !== "open") return false;
  if (view === "unassigned") return !conv.assignee;
  if (view === "mine") return isMine(conv);
  return true;
}

/** Keep the latest copy of a conversation. Broadcasts carry no per-agent unread count
 * (the server sends one copy to many agents), so the count we know is kept. */
export function remember(conv) {
  const before = state.known.get(conv.id);
  if (conv.unread === undefined && before) conv.unread = before.unread;
  if (conv.waiting_since === undefined && before) conv.waiting_since = before.waiting_since;
  state.known.set(conv.id, conv);
}

/** Someone else handed the conversation to this agent (a transfer, or automatic routing). */
export function handedToMe(before, conv) {
  if (!isMine(conv) || conv.status !== "open") return false;
  return !before || (before.assignee ? before.assignee.id !== me.id : false);
}
