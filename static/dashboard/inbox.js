/* The inbox column: the views with their counts, the list (or search results) with "Show
 * more", and the unread badges. */
import { $, ago, avatar, fullTime, h, visitorName } from "./dom.js";
import { call } from "./connection.js";
import { updateTitle } from "./notifications.js";
import { VIEWS, inView, isMine, remember, root, state } from "./state.js";
import { drafts } from "./storage.js";

const el = {
  list: $("inbox-list"),
  empty: $("inbox-empty"),
  more: $("inbox-more"),
  search: $("inbox-search"),
  searchStatus: $("inbox-search-status"),
  panel: $("inbox-panel"),
};

let pick = () => {};
let refreshTimer = null;
let searchTimer = null;

/** Re-list soon: many events in a burst cost one listing. */
export function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshInbox, 120);
}

/** Re-list the current view (or search), plus Unassigned and Mine for the unread total in
 * the title. Every page shown so far is fetched again, so "Show more" survives a refresh. */
export function refreshInbox() {
  clearTimeout(refreshTimer);
  const generation = ++state.listGeneration;
  ["unassigned", "mine"].forEach((view) => {
    if (view === state.view && !state.query) return; // listPages lists it
    call("inbox:list", { view }).then((ack) => {
      if (!ack.ok || generation !== state.listGeneration) return;
      ack.conversations.forEach(remember);
      if (ack.counts) Object.assign(state.counts, ack.counts);
      renderCounts();
      updateTitle();
    });
  });
  listPages(generation);
}

/** The current list: a view, or the search results; ``state.pages`` pages of it. */
function listPages(generation) {
  const pages = [];
  for (let page = 1; page <= state.pages; page++) {
    pages.push(
      state.query
        ? call("inbox:search", { q: state.query, page })
        : call("inbox:list", { view: state.view, page }),
    );
  }
  Promise.all(pages).then((acks) => {
    if (generation !== state.listGeneration || !acks.every((a) => a.ok)) return;
    let items = [];
    acks.forEach((ack) => {
      ack.conversations.forEach(remember);
      items = items.concat(ack.conversations);
      if (ack.counts) Object.assign(state.counts, ack.counts);
    });
    state.items = items;
    state.total = acks[0].total;
    if (!state.query && state.view === "closed") state.counts.closed = state.total;
    renderInbox();
    renderCounts();
    updateTitle();
  });
}

function renderCounts() {
  VIEWS.forEach((view) => {
    const node = root.querySelector(`[data-count="${view}"]`);
    const count = state.counts[view];
    node.textContent = typeof count === "number" ? String(count) : "";
  });
}

export function renderInbox() {
  const items = state.items.filter((conv) => {
    const latest = state.known.get(conv.id) || conv;
    return state.query || inView(latest, state.view);
  });
  el.list.replaceChildren(...items.map((conv) => inboxItem(state.known.get(conv.id) || conv)));
  el.empty.hidden = items.length > 0;
  el.more.hidden = !(typeof state.total === "number" && state.items.length < state.total);
  el.searchStatus.hidden = !state.query;
  if (state.query) {
    el.searchStatus.textContent =
      state.total === null
        ? "Searching…"
        : state.total === 1
          ? "1 conversation found"
          : `${state.total} conversations found`;
  }
}

/** Mark the open conversation's row (without redrawing the list). */
export function markCurrent(id) {
  el.list.querySelectorAll("[data-conversation-id]").forEach((node) => {
    if (node.dataset.conversationId === id) node.setAttribute("aria-current", "true");
    else node.removeAttribute("aria-current");
  });
}

/** The rows of the list shown, in order (for j / k). */
export function listedItems() {
  return Array.from(el.list.querySelectorAll("[data-conversation-id]"));
}

/** The open conversation's row, or null. */
export function currentItem() {
  return el.list.querySelector('[aria-current="true"]');
}

/** A visitor's message counts as unread at once, unless it arrives in the conversation this
 * agent is reading (the next inbox:list brings the server's own count either way). */
export function countUnread(message, conv) {
  if (conv && !message.private) {
    // who owes a reply, until the next inbox:list says exactly
    if (message.sender.type === "visitor") {
      conv.waiting_since = conv.waiting_since || message.created_at;
    } else if (message.sender.type === "agent") conv.waiting_since = null;
  }
  if (!conv || message.sender.type !== "visitor") return;
  const counted = message.seq <= (conv.last_seq || 0); // conversation:new already counted it
  conv.last_seq = Math.max(conv.last_seq || 0, message.seq);
  const reading =
    message.conversation_id === state.openId && document.visibilityState === "visible";
  if (!reading && !counted) conv.unread = (conv.unread || 0) + 1;
  renderInbox();
  updateTitle();
}

/** "Offline message" and the visitor's email (or that none was given): the conversation was
 *  opened while live chat was off, so the answer most likely reaches the visitor by email. */
export function offlineMark(conv) {
  const email = conv.visitor.email;
  const mark = h("span", "offline");
  mark.dataset.testid = "offline-mark";
  mark.title = "Sent while nobody was available to chat";
  const address = h(
    "span",
    `offline-email${email ? "" : " offline-email--none"}`,
    email || "no email given",
  );
  address.dataset.testid = "offline-email";
  if (email) address.title = email;
  mark.append(h("span", "offline-label", "Offline message"), address);
  return mark;
}

function inboxItem(conv) {
  const li = h("li");
  const item = h("button", "inbox-item");
  item.type = "button";
  item.dataset.testid = "inbox-item";
  item.dataset.conversationId = conv.id;
  if (conv.id === state.openId) item.setAttribute("aria-current", "true");
  if (conv.unread > 0) item.classList.add("inbox-item--unread");

  const face = h("span", "avatar");
  face.setAttribute("aria-hidden", "true");
  avatar(face, conv.visitor);

  const body = h("span", "inbox-body");
  const top = h("span", "inbox-top");
  top.append(h("span", "inbox-name", visitorName(conv.visitor)));
  if (conv.visitor.verified) {
    const mark = h("span", "verified verified--small", "Verified");
    mark.title = "Verified identity";
    mark.dataset.testid = "verified-mark";
    top.append(mark);
  }
  top.append(itemTime(conv));

  const preview = h("span", "inbox-preview", conv.preview || "No messages yet");
  body.append(top, preview);
  if (conv.offline) body.append(offlineMark(conv)); // a row of its own: the email needs room
  body.append(itemMeta(conv));
  item.append(face, body);
  item.addEventListener("click", () => pick(conv.id));
  li.append(item);
  return li;
}

/** When it closed, since when the visitor waits, or when the last message came. */
function itemTime(conv) {
  const waiting = conv.status === "open" && conv.waiting_since;
  const since =
    conv.status === "closed"
      ? conv.closed_at || conv.updated_at
      : waiting || conv.last_message_at || conv.created_at;
  const time = h("time", "inbox-time", ago(since));
  time.dateTime = since || "";
  const label =
    conv.status === "closed" ? "Closed " : waiting ? "Waiting for a reply since " : "Last message ";
  time.title = label + fullTime(since);
  return time;
}

/** Assignee, "Waiting …" and the unread count. */
function itemMeta(conv) {
  const meta = h("span", "inbox-meta");
  if (conv.assignee) {
    meta.append(h("span", "inbox-assignee", isMine(conv) ? "You" : conv.assignee.name));
  } else if (conv.status === "open" && state.view !== "unassigned") {
    meta.append(h("span", "inbox-assignee inbox-assignee--none", "Unassigned"));
  }
  const waiting = conv.status === "open" && conv.waiting_since;
  if (waiting) {
    // the visitor spoke last: the team owes a reply
    const waited = ago(waiting);
    const owed = h("span", "waiting", waited === "now" ? "Waiting" : `Waiting ${waited}`);
    owed.title = `The visitor is waiting for a reply since ${fullTime(waiting)}`;
    owed.dataset.testid = "waiting";
    meta.append(owed);
  }
  if (conv.unread > 0) {
    const unread = h("span", "unread", conv.unread);
    unread.setAttribute("aria-label", `${conv.unread} unread`);
    unread.dataset.testid = "unread-count";
    meta.append(unread);
  }
  return meta;
}

export function selectView(view) {
  if (!VIEWS.includes(view)) return;
  state.view = view;
  drafts.rememberView(view);
  state.pages = 1;
  state.total = null;
  if (state.query) {
    el.search.value = "";
    state.query = "";
    root.classList.remove("dash--searching");
  }
  root.querySelectorAll('[role="tab"]').forEach((tab) => {
    const selected = tab.dataset.view === view;
    tab.setAttribute("aria-selected", selected ? "true" : "false");
    tab.tabIndex = selected ? 0 : -1;
  });
  el.panel.setAttribute("aria-labelledby", `tab-${view}`);
  state.items = [];
  renderInbox();
  refreshInbox();
}

/** Searching every conversation from the inbox, with the API's q (PROTOCOL §6). */
function runSearch(query) {
  if (query === state.query) return;
  state.query = query;
  state.pages = 1;
  state.total = null;
  state.items = [];
  root.classList.toggle("dash--searching", !!query);
  renderInbox();
  refreshInbox();
}

/** Focus the search box (the "/" shortcut). */
export function focusSearch() {
  el.search.focus();
}

function bindSearch() {
  el.search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => runSearch(el.search.value.trim()), 250);
  });
  el.search.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      el.search.value = "";
      runSearch("");
    }
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(searchTimer);
      runSearch(el.search.value.trim());
    }
  });
}

function bindTabs() {
  const tabs = Array.from(root.querySelectorAll('[role="tab"]'));
  tabs.forEach((tab, index) => {
    tab.tabIndex = index === 0 ? 0 : -1;
    tab.addEventListener("click", () => selectView(tab.dataset.view));
    tab.addEventListener("keydown", (event) => {
      const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      const next = tabs[(index + step + tabs.length) % tabs.length];
      next.focus();
      selectView(next.dataset.view);
    });
  });
}

/** Wire the column. ``onPick(conversationId)`` is what a click on a row does. */
export function initInbox(onPick) {
  pick = onPick;
  el.more.addEventListener("click", () => {
    state.pages += 1;
    refreshInbox();
  });
  bindSearch();
  bindTabs();
  // A reload keeps the view this tab showed; a new tab starts on Unassigned.
  const savedView = drafts.savedView();
  if (savedView && savedView !== state.view) selectView(savedView);
  setInterval(renderInbox, 30000); // "5m" becomes "6m"
}
