/* The agents' dashboard: inbox, conversation and visitor context over the /agent namespace.
 *
 * Plain DOM code, no framework. Every piece of visitor or agent text goes in through
 * textContent (never innerHTML), so nothing a visitor types can become markup. Socket events
 * are hints; `inbox:list`, `conversation:open` and `sync` are the truth, so after a reconnect
 * the page re-lists and syncs and ends up with nothing missing and nothing doubled. */
(function () {
  "use strict";

  var root = document.getElementById("dashboard");
  if (!root || typeof io === "undefined") return;

  var me = {
    id: root.dataset.agentId,
    name: root.dataset.agentName,
    admin: root.dataset.admin === "1",
  };
  var VIEWS = ["unassigned", "mine", "open", "closed"];
  var BASE_TITLE = "Inbox · Support";

  var state = {
    view: "unassigned",
    items: [], // conversations of the current view
    known: new Map(), // id -> conversation, from every listing and event
    counts: {},
    openId: null,
    conv: null, // the open conversation
    visitor: null,
    history: [],
    messages: new Map(), // id -> stored message of the open conversation
    activity: new Map(), // id -> activity line of the open conversation
    pending: new Map(), // client_id -> unsent or failed own message
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

  var $ = function (id) { return document.getElementById(id); };
  var el = {
    banner: $("conn-banner"), bannerText: $("conn-banner-text"), bannerLogin: $("conn-banner-login"),
    list: $("inbox-list"), empty: $("inbox-empty"), more: $("inbox-more"),
    search: $("inbox-search"), searchStatus: $("inbox-search-status"),
    placeholder: $("conv-placeholder"), pane: $("conv-pane"),
    title: $("conv-title"), verified: $("conv-verified"), status: $("conv-status"),
    assignee: $("conv-assignee"), claim: $("btn-claim"), transfer: $("transfer"),
    transferSelect: $("transfer-select"), transferBtn: $("btn-transfer"),
    close: $("btn-close"), reopen: $("btn-reopen"), alert: $("conv-alert"),
    transcript: $("transcript"), typing: $("typing-indicator"),
    composer: $("composer"), input: $("reply-input"), send: $("reply-send"),
    noteToggle: $("note-toggle"), canned: $("canned-menu"),
    ctx: $("ctx"), ctxEmpty: $("ctx-empty"), ctxAvatar: $("ctx-avatar"), ctxName: $("ctx-name"),
    ctxEmail: $("ctx-email"), ctxList: $("ctx-list"), ctxHistory: $("ctx-history"),
    presence: $("presence-switch"), notify: $("enable-notifications"),
    details: $("btn-details"), ctxClose: $("ctx-close"), collision: $("conv-collision"),
    back: $("btn-back"), offline: $("conv-offline"), replyByEmail: $("reply-by-email"),
  };

  // --- small helpers -------------------------------------------------------------------------

  function h(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function hashOf(text) {
    var hash = 2166136261;
    for (var i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 16777619);
    }
    return hash >>> 0;
  }

  /** The server names every visitor (a friendly name when they gave none). */
  function visitorName(visitor) {
    return (visitor && visitor.name) || "Visitor";
  }

  function initials(name) {
    var parts = String(name || "?").trim().split(/\s+/);
    return ((parts[0] || "?")[0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
  }

  function avatar(node, visitor) {
    var name = visitorName(visitor);
    node.textContent = initials(name);
    node.dataset.hue = String(hashOf((visitor && visitor.id) || name) % 8);
  }

  function parseTime(iso) { return iso ? new Date(iso) : null; }

  function ago(iso) {
    var t = parseTime(iso);
    if (!t) return "";
    var seconds = Math.max(0, (Date.now() - t.getTime()) / 1000);
    if (seconds < 60) return "now";
    if (seconds < 3600) return Math.floor(seconds / 60) + "m";
    if (seconds < 86400) return Math.floor(seconds / 3600) + "h";
    return Math.floor(seconds / 86400) + "d";
  }

  function clock(iso) {
    var t = parseTime(iso);
    return t ? t.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
  }

  function fullTime(iso) {
    var t = parseTime(iso);
    return t ? t.toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) : "";
  }

  function dayLabel(date) {
    var today = new Date();
    var yesterday = new Date(Date.now() - 86400000);
    if (date.toDateString() === today.toDateString()) return "Today";
    if (date.toDateString() === yesterday.toDateString()) return "Yesterday";
    return date.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short", year: "numeric" });
  }

  function newClientId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return "d-" + Array.prototype.map.call(bytes, function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }

  function isMine(conv) { return !!(conv && conv.assignee && conv.assignee.id === me.id); }

  function mayManage(conv) { return !conv.assignee || isMine(conv) || me.admin; }

  function inView(conv, view) {
    if (view === "closed") return conv.status === "closed";
    if (conv.status !== "open") return false;
    if (view === "unassigned") return !conv.assignee;
    if (view === "mine") return isMine(conv);
    return true;
  }

  // --- drafts: kept per conversation in this browser, across switching and reloads ----------

  var drafts = (function () {
    var prefix = "support-dashboard:" + me.id + ":";
    function store(kind) {
      try { return kind === "session" ? window.sessionStorage : window.localStorage; } catch (e) { return null; }
    }
    function get(kind, key) {
      try { var s = store(kind); return (s && s.getItem(prefix + key)) || ""; } catch (e) { return ""; }
    }
    function put(kind, key, value) {
      try {
        var s = store(kind);
        if (!s) return;
        if (value) s.setItem(prefix + key, value); else s.removeItem(prefix + key);
      } catch (e) { /* storage full or denied: drafts are a convenience */ }
    }
    return {
      load: function (conversationId) { return get("local", "draft:" + conversationId); },
      save: function (conversationId, text) { put("local", "draft:" + conversationId, text.trim() ? text : ""); },
      savedView: function () { return get("session", "view"); },
      rememberView: function (view) { put("session", "view", view); },
    };
  })();

  // --- the socket ----------------------------------------------------------------------------

  // The page's CSRF token proves the socket comes from this page, not another site riding on
  // the cookie; it lasts as long as the session, so reconnects all shift long present it.
  var socket = io("/agent", { withCredentials: true, auth: { csrf_token: root.dataset.csrfToken } });

  /** Emit with an ack; resolves to the ack, or to an error ack when the server does not answer. */
  function call(event, payload, timeout) {
    return new Promise(function (resolve) {
      socket.timeout(timeout || 10000).emit(event, payload || {}, function (err, ack) {
        if (err) resolve({ ok: false, error: { code: "timeout", message: "No answer from the server." } });
        else resolve(ack || { ok: false, error: { code: "internal", message: "Empty answer." } });
      });
    });
  }

  function showBanner(text, withLogin) {
    el.bannerText.textContent = text;
    el.bannerLogin.hidden = !withLogin;
    el.banner.hidden = false;
  }

  socket.on("connect", function () {
    el.banner.hidden = true;
    var first = !state.connectedOnce;
    state.connectedOnce = true;
    refreshInbox();
    loadPresence();
    if (first) {
      loadCanned();
      openFromHash();
    } else if (state.openId) {
      resumeConversation(state.openId);
    }
  });

  socket.on("disconnect", function (reason) {
    showBanner("Reconnecting…", false);
    // The server ended the connection (signed out, deactivated): try once; a refusal shows sign-in.
    if (reason === "io server disconnect") setTimeout(function () { socket.connect(); }, 1000);
  });

  socket.on("connect_error", function (err) {
    if (err && err.data && err.data.code === "unauthorized") {
      showBanner("You are signed out.", true);
    } else {
      showBanner("Reconnecting…", false);
    }
  });

  socket.on("conversation:new", function (conv) {
    remember(conv);
    if (conv.status === "open" && (!conv.assignee || isMine(conv))) {
      // Its first message follows as message:new; one notification is enough.
      state.announcedNew.add(conv.id);
      attention("New conversation", visitorName(conv.visitor) + ": " + (conv.preview || ""), conv.id);
    }
    scheduleRefresh();
  });

  socket.on("conversation:updated", function (conv) {
    var before = state.known.get(conv.id);
    remember(conv);
    if (handedToMe(before, conv)) {
      attention("Assigned to you", visitorName(conv.visitor) + ": " + (conv.preview || ""), conv.id);
    }
    var inHistory = state.history.some(function (past, i) {
      if (past.id === conv.id) state.history[i] = conv;
      return past.id === conv.id;
    });
    if (conv.id === state.openId) {
      state.conv = conv;
      renderHeader();
      renderTranscript();
    }
    if (inHistory) renderContext();
    scheduleRefresh();
  });

  socket.on("message:new", function (message) {
    var conv = state.known.get(message.conversation_id);
    countUnread(message, conv);
    if (message.conversation_id === state.openId) {
      addMessage(message);
      renderTranscript();
      markRead();
    }
    var announced = state.announcedNew.delete(message.conversation_id);
    if (message.sender.type === "visitor" && !announced && (!conv || !conv.assignee || isMine(conv))) {
      var looking = message.conversation_id === state.openId && document.hasFocus();
      if (!looking) {
        var who = conv ? visitorName(conv.visitor) : (message.sender.name || "Visitor");
        attention("New message from " + who, message.body, message.conversation_id);
      }
    }
    scheduleRefresh();
  });

  socket.on("typing", function (data) {
    if (data.conversation_id !== state.openId) return;
    if (data.from === "agent") colleagueSeen(data.agent_id, data.name, { typing: !!data.typing });
    else if (data.from === "visitor") setVisitorTyping(!!data.typing);
  });

  socket.on("viewing", function (data) {
    if (data.conversation_id !== state.openId || data.agent_id === me.id) return;
    var newcomer = data.viewing && !viewers.has(data.agent_id);
    colleagueSeen(data.agent_id, data.name, data.viewing ? {} : null);
    // Whoever just arrived learns at once that we are here too (not at our next repeat).
    if (newcomer) announceViewing(state.openId, true);
  });

  socket.on("messages:read", function (data) {
    if (data.conversation_id !== state.openId || !state.conv || data.by !== "visitor") return;
    state.conv.visitor_read_seq = Math.max(state.conv.visitor_read_seq || 0, data.seq);
    renderTranscript();
  });

  socket.on("presence", function (data) {
    state.agents.set(data.agent_id, { name: data.name, status: data.status });
    if (data.agent_id === me.id) renderPresence(data.status);
    renderTransferOptions();
  });

  /** This agent read a conversation (in this tab or another): its own badge follows. */
  socket.on("inbox:read", function (data) {
    var conv = state.known.get(data.conversation_id);
    if (!conv) return;
    conv.unread = data.unread;
    renderInbox();
    updateTitle();
  });

  /** A visitor's message counts as unread at once, unless it arrives in the conversation this
   * agent is reading (the next inbox:list brings the server's own count either way). */
  function countUnread(message, conv) {
    if (conv && !message.private) { // who owes a reply, until the next inbox:list says exactly
      if (message.sender.type === "visitor") conv.waiting_since = conv.waiting_since || message.created_at;
      else if (message.sender.type === "agent") conv.waiting_since = null;
    }
    if (!conv || message.sender.type !== "visitor") return;
    var counted = message.seq <= (conv.last_seq || 0); // conversation:new already counted it
    conv.last_seq = Math.max(conv.last_seq || 0, message.seq);
    var reading = message.conversation_id === state.openId && document.visibilityState === "visible";
    if (!reading && !counted) conv.unread = (conv.unread || 0) + 1;
    renderInbox();
    updateTitle();
  }

  /** Someone else handed the conversation to this agent (a transfer, or automatic routing). */
  function handedToMe(before, conv) {
    if (!isMine(conv) || conv.status !== "open") return false;
    return !before || (before.assignee ? before.assignee.id !== me.id : false);
  }

  // --- inbox ---------------------------------------------------------------------------------

  /** Keep the latest copy of a conversation. Broadcasts carry no per-agent unread count
   * (the server sends one copy to many agents), so the count we know is kept. */
  function remember(conv) {
    var before = state.known.get(conv.id);
    if (conv.unread === undefined && before) conv.unread = before.unread;
    if (conv.waiting_since === undefined && before) conv.waiting_since = before.waiting_since;
    state.known.set(conv.id, conv);
  }

  var refreshTimer = null;
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshInbox, 120);
  }

  /** Re-list the current view (or search), plus Unassigned and Mine for the unread total in
   * the title. Every page shown so far is fetched again, so "Show more" survives a refresh. */
  function refreshInbox() {
    clearTimeout(refreshTimer);
    var generation = ++state.listGeneration;
    ["unassigned", "mine"].forEach(function (view) {
      if (view === state.view && !state.query) return; // listPages lists it
      call("inbox:list", { view: view }).then(function (ack) {
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
    var pages = [];
    for (var page = 1; page <= state.pages; page++) {
      pages.push(state.query
        ? call("inbox:search", { q: state.query, page: page })
        : call("inbox:list", { view: state.view, page: page }));
    }
    Promise.all(pages).then(function (acks) {
      if (generation !== state.listGeneration || !acks.every(function (a) { return a.ok; })) return;
      var items = [];
      acks.forEach(function (ack) {
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
    VIEWS.forEach(function (view) {
      var node = root.querySelector('[data-count="' + view + '"]');
      var count = state.counts[view];
      node.textContent = typeof count === "number" ? String(count) : "";
    });
  }

  function renderInbox() {
    var items = state.items.filter(function (conv) {
      var latest = state.known.get(conv.id) || conv;
      return state.query || inView(latest, state.view);
    });
    el.list.replaceChildren.apply(el.list, items.map(function (conv) {
      return inboxItem(state.known.get(conv.id) || conv);
    }));
    el.empty.hidden = items.length > 0;
    el.more.hidden = !(typeof state.total === "number" && state.items.length < state.total);
    el.searchStatus.hidden = !state.query;
    if (state.query) {
      el.searchStatus.textContent = state.total === null ? "Searching…"
        : state.total === 1 ? "1 conversation found" : state.total + " conversations found";
    }
  }

  el.more.addEventListener("click", function () {
    state.pages += 1;
    refreshInbox();
  });

  /** Searching every conversation from the inbox, with the API's q (PROTOCOL §6). */
  var searchTimer = null;
  el.search.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () { runSearch(el.search.value.trim()); }, 250);
  });
  el.search.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { el.search.value = ""; runSearch(""); }
    if (event.key === "Enter") { event.preventDefault(); clearTimeout(searchTimer); runSearch(el.search.value.trim()); }
  });

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

  function inboxItem(conv) {
    var li = h("li");
    var item = h("button", "inbox-item");
    item.type = "button";
    item.dataset.testid = "inbox-item";
    item.dataset.conversationId = conv.id;
    if (conv.id === state.openId) item.setAttribute("aria-current", "true");
    if (conv.unread > 0) item.classList.add("inbox-item--unread");

    var face = h("span", "avatar");
    face.setAttribute("aria-hidden", "true");
    avatar(face, conv.visitor);

    var body = h("span", "inbox-body");
    var top = h("span", "inbox-top");
    var name = h("span", "inbox-name", visitorName(conv.visitor));
    top.append(name);
    if (conv.visitor.verified) {
      var mark = h("span", "verified verified--small", "Verified");
      mark.title = "Verified identity";
      mark.dataset.testid = "verified-mark";
      top.append(mark);
    }
    var waiting = conv.status === "open" && conv.waiting_since;
    var since = conv.status === "closed" ? conv.closed_at || conv.updated_at
      : waiting || conv.last_message_at || conv.created_at;
    var time = h("time", "inbox-time", ago(since));
    time.dateTime = since || "";
    time.title = (conv.status === "closed" ? "Closed " : waiting ? "Waiting for a reply since " : "Last message ") +
      fullTime(since);
    top.append(time);

    var preview = h("span", "inbox-preview", conv.preview || "No messages yet");
    var meta = h("span", "inbox-meta");
    if (conv.assignee) meta.append(h("span", "inbox-assignee", isMine(conv) ? "You" : conv.assignee.name));
    else if (conv.status === "open" && state.view !== "unassigned") {
      meta.append(h("span", "inbox-assignee inbox-assignee--none", "Unassigned"));
    }
    if (waiting) { // the visitor spoke last: the team owes a reply
      var waited = ago(waiting);
      var owed = h("span", "waiting", waited === "now" ? "Waiting" : "Waiting " + waited);
      owed.title = "The visitor is waiting for a reply since " + fullTime(waiting);
      owed.dataset.testid = "waiting";
      meta.append(owed);
    }
    if (conv.unread > 0) {
      var unread = h("span", "unread", conv.unread);
      unread.setAttribute("aria-label", conv.unread + " unread");
      unread.dataset.testid = "unread-count";
      meta.append(unread);
    }
    body.append(top, preview);
    if (conv.offline) body.append(offlineMark(conv)); // a row of its own: the email needs room
    body.append(meta);
    item.append(face, body);
    item.addEventListener("click", function () { selectConversation(conv.id); });
    li.append(item);
    return li;
  }

  function selectView(view) {
    if (VIEWS.indexOf(view) < 0) return;
    state.view = view;
    drafts.rememberView(view);
    state.pages = 1;
    state.total = null;
    if (state.query) {
      el.search.value = "";
      state.query = "";
      root.classList.remove("dash--searching");
    }
    root.querySelectorAll('[role="tab"]').forEach(function (tab) {
      var selected = tab.dataset.view === view;
      tab.setAttribute("aria-selected", selected ? "true" : "false");
      tab.tabIndex = selected ? 0 : -1;
    });
    $("inbox-panel").setAttribute("aria-labelledby", "tab-" + view);
    state.items = [];
    renderInbox();
    refreshInbox();
  }

  root.querySelectorAll('[role="tab"]').forEach(function (tab, index, tabs) {
    tab.tabIndex = index === 0 ? 0 : -1;
    tab.addEventListener("click", function () { selectView(tab.dataset.view); });
    tab.addEventListener("keydown", function (event) {
      var step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      var next = tabs[(index + step + tabs.length) % tabs.length];
      next.focus();
      selectView(next.dataset.view);
    });
  });

  // A reload keeps the view this tab showed; a new tab starts on Unassigned.
  var savedView = drafts.savedView();
  if (savedView && savedView !== state.view) selectView(savedView);

  function updateTitle() {
    var total = 0;
    state.known.forEach(function (conv) {
      if (conv.status === "open" && (!conv.assignee || isMine(conv))) total += conv.unread || 0;
    });
    document.title = total > 0 ? "(" + total + ") " + BASE_TITLE : BASE_TITLE;
  }

  setInterval(function () { renderInbox(); }, 30000);

  // --- the open conversation -----------------------------------------------------------------

  /** Open a conversation the agent picked; the composer takes the focus, ready to answer. */
  function selectConversation(id) {
    if (location.hash !== "#c=" + id) history.replaceState(null, "", "#c=" + id);
    openConversation(id).then(function () {
      if (state.openId === id && state.conv && state.conv.status === "open") el.input.focus();
    });
  }

  function openFromHash() {
    var match = /^#c=([A-Za-z0-9_-]{1,64})$/.exec(location.hash);
    if (match) openConversation(match[1]);
  }
  window.addEventListener("hashchange", openFromHash);

  function openConversation(id) {
    if (state.openId !== id) {
      announceViewing(state.openId, false);
      viewers.clear();
      renderColleagues();
      state.openId = id;
      state.conv = null;
      state.messages = new Map();
      state.activity = new Map();
      state.lastReadSent = 0;
      state.noteMode = false;
      el.input.value = drafts.load(id);
      setVisitorTyping(false);
      renderNoteToggle();
      hideCanned();
    }
    el.list.querySelectorAll("[data-conversation-id]").forEach(function (node) {
      if (node.dataset.conversationId === id) node.setAttribute("aria-current", "true");
      else node.removeAttribute("aria-current");
    });
    return call("conversation:open", { conversation_id: id }).then(function (ack) {
      if (state.openId !== id) return;
      if (!ack.ok) { showAlert(ack.error.message); return; }
      applyOpened(ack);
    });
  }

  function applyOpened(ack) {
    announceViewing(ack.conversation.id, true);
    root.classList.add("dash--conversation"); // phones show the conversation instead of the list
    state.conv = ack.conversation;
    state.visitor = ack.visitor;
    state.history = ack.history || [];
    remember(ack.conversation);
    ack.messages.forEach(addMessage);
    (ack.activity || []).forEach(addActivity);
    el.placeholder.hidden = true;
    el.pane.hidden = false;
    hideAlert();
    renderHeader();
    renderTranscript(true);
    renderContext();
    markRead();
  }

  /** After a reconnect: rejoin the conversation's room, then fetch what was missed. */
  function resumeConversation(id) {
    call("conversation:open", { conversation_id: id }).then(function (ack) {
      if (!ack.ok || state.openId !== id) return;
      state.conv = ack.conversation;
      state.visitor = ack.visitor;
      state.history = ack.history || [];
      (ack.activity || []).forEach(addActivity);
      renderHeader();
      renderContext();
      return call("sync", { conversation_id: id, after_seq: lastSeq() });
    }).then(function (ack) {
      if (!ack || !ack.ok || state.openId !== id) return;
      ack.messages.forEach(addMessage);
      renderTranscript();
      markRead();
      // Anything still pending may have been stored before the drop: the same client_id
      // returns the stored message instead of storing it twice.
      state.pending.forEach(function (p) { if (p.status === "pending") deliver(p); });
    });
  }

  function lastSeq() {
    var seq = 0;
    state.messages.forEach(function (m) { if (m.seq > seq) seq = m.seq; });
    return seq;
  }

  /** Store one message, deduplicated by id; our own echo replaces its pending copy. */
  function addMessage(message) {
    if (message.conversation_id !== state.openId) return;
    state.messages.set(message.id, message);
    if (message.sender.type === "agent" && message.sender.id === me.id && message.client_id) {
      state.pending.delete(message.client_id);
    }
  }

  function addActivity(line) {
    if (line.conversation_id === state.openId) state.activity.set(line.id, line);
  }

  socket.on("activity", function (line) {
    if (line.conversation_id !== state.openId) return;
    addActivity(line);
    renderTranscript();
  });

  function showAlert(text) {
    el.alert.textContent = text;
    el.alert.hidden = false;
    clearTimeout(showAlert.timer);
    showAlert.timer = setTimeout(hideAlert, 6000);
  }
  function hideAlert() { el.alert.hidden = true; }

  function renderHeader() {
    var conv = state.conv;
    if (!conv) return;
    el.title.textContent = visitorName(conv.visitor);
    el.verified.hidden = !conv.visitor.verified;
    el.status.textContent = conv.status === "open" ? "Open" : "Closed";
    el.status.className = "badge badge--" + conv.status;
    el.assignee.textContent = conv.assignee
      ? "Assigned to " + (isMine(conv) ? "you" : conv.assignee.name)
      : conv.status === "open" ? "Waiting for an agent" : "Nobody was assigned";
    var open = conv.status === "open";
    var manage = mayManage(conv);
    el.claim.hidden = !(open && !conv.assignee);
    el.transfer.hidden = !(open && manage);
    el.close.hidden = !(open && manage);
    el.reopen.hidden = !(!open && manage);
    el.input.disabled = !open;
    el.send.disabled = !open;
    el.noteToggle.disabled = !open;
    el.input.placeholder = open
      ? (state.noteMode ? "Private note: only agents see it…" : "Reply to the visitor…")
      : "This conversation is closed. Reopen it to reply.";
    renderTransferOptions();
    renderOffline(conv);
  }

  // --- offline messages ----------------------------------------------------------------------

  /** "Offline message" and the visitor's email (or that none was given): the conversation was
   *  opened while live chat was off, so the answer most likely reaches the visitor by email. */
  function offlineMark(conv) {
    var email = conv.visitor.email;
    var mark = h("span", "offline");
    mark.dataset.testid = "offline-mark";
    mark.title = "Sent while nobody was available to chat";
    var address = h("span", "offline-email" + (email ? "" : " offline-email--none"), email || "no email given");
    address.dataset.testid = "offline-email";
    if (email) address.title = email;
    mark.append(h("span", "offline-label", "Offline message"), address);
    return mark;
  }

  /** The header's marker, and the composer's line saying an unread reply goes by email (the
   *  server mails what the visitor has not read after ``data-mail-delay`` seconds). */
  function renderOffline(conv) {
    el.offline.replaceChildren.apply(el.offline, conv.offline ? [offlineMark(conv)] : []);
    el.offline.hidden = !conv.offline;
    var byEmail = conv.offline && conv.status === "open" && !!conv.visitor.email;
    el.replyByEmail.hidden = !byEmail;
    if (!byEmail) return;
    var seconds = Number(root.dataset.mailDelay) || 120;
    var delay = seconds % 60 ? seconds + " seconds" : seconds === 60 ? "a minute" : seconds / 60 + " minutes";
    el.replyByEmail.textContent = "If the visitor has not read your reply within " + delay +
      ", it reaches them by email at " + conv.visitor.email + ".";
  }

  function renderTransferOptions() {
    var conv = state.conv;
    var select = el.transferSelect;
    var chosen = select.value;
    var options = [new Option("Transfer to…", "")];
    state.agents.forEach(function (agent, id) {
      if (agent.status !== "online") return;
      if (conv && conv.assignee && conv.assignee.id === id) return;
      options.push(new Option(id === me.id ? agent.name + " (you)" : agent.name, id));
    });
    select.replaceChildren.apply(select, options);
    if (options.some(function (o) { return o.value === chosen; })) select.value = chosen;
    select.disabled = options.length < 2;
    el.transferBtn.disabled = !select.value;
  }

  function storedSorted() {
    return Array.from(state.messages.values()).sort(function (a, b) { return a.seq - b.seq; });
  }

  function renderTranscript(forceBottom) {
    var box = el.transcript;
    var nearBottom = forceBottom || box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    var conv = state.conv;
    var nodes = [];
    var lastDay = null;
    var stored = storedSorted();
    var seenSeq = (conv && conv.visitor_read_seq) || 0;
    var lastSeen = null;
    stored.forEach(function (m) {
      if (m.sender.type === "agent" && !m.private && m.seq <= seenSeq) lastSeen = m.id;
    });
    var pending = Array.from(state.pending.values()).filter(function (p) {
      return p.conversation_id === state.openId;
    });
    withActivity(stored).concat(pending).forEach(function (m) {
      var date = parseTime(m.created_at) || new Date();
      var day = date.toDateString();
      if (day !== lastDay) {
        var sep = h("div", "day-sep");
        sep.setAttribute("role", "separator");
        sep.append(h("span", null, dayLabel(date)));
        nodes.push(sep);
        lastDay = day;
      }
      nodes.push(m.kind ? activityNode(m) : messageNode(m, m.id && m.id === lastSeen));
    });
    if (!stored.length && !pending.length) nodes.push(h("p", "transcript-empty", "No messages yet."));
    box.replaceChildren.apply(box, nodes);
    if (nearBottom) box.scrollTop = box.scrollHeight;
  }

  /** Messages in seq order with the conversation's activity lines between them, by time. */
  function withActivity(stored) {
    var lines = Array.from(state.activity.values()).sort(function (a, b) { return a.id - b.id; });
    var merged = [];
    stored.forEach(function (m) {
      while (lines.length && lines[0].created_at <= m.created_at) merged.push(lines.shift());
      merged.push(m);
    });
    return merged.concat(lines);
  }

  /** Claims, transfers, closes and reopens: agents-only lines, not messages. */
  function activityNode(line) {
    var node = h("div", "activity-line");
    node.dataset.testid = "activity";
    node.dataset.kind = line.kind;
    node.append(h("span", null, line.text));
    var time = h("time", "msg-time", clock(line.created_at));
    time.dateTime = line.created_at || "";
    time.title = fullTime(line.created_at);
    node.append(time);
    return node;
  }

  function messageNode(m, seen) {
    var isPending = !m.id;
    var type = isPending ? "agent" : m.sender.type;
    var node = h("div", "msg msg--" + type);
    node.dataset.testid = "message";
    node.dataset.sender = type;
    if (m.private) { node.dataset.private = "true"; node.classList.add("msg--note"); }
    if (!isPending) { node.dataset.seq = String(m.seq); node.dataset.messageId = m.id; }
    if (isPending || (type === "agent" && m.sender.id === me.id)) node.classList.add("msg--own");

    var meta = h("div", "msg-meta");
    var name = isPending ? me.name : m.sender.name ||
      (type === "visitor" ? visitorName(state.conv && state.conv.visitor) : type === "system" ? "System" : "Agent");
    meta.append(h("span", "msg-name", name));
    if (m.private) meta.append(h("span", "msg-tag", "Private note"));
    var time = h("time", "msg-time", clock(m.created_at));
    time.dateTime = m.created_at || "";
    time.title = fullTime(m.created_at);
    meta.append(time);

    var body = h("div", "msg-body", m.body);
    node.append(meta, body);
    if (m.attachments && m.attachments.length && window.SupportAttachments) node.append(window.SupportAttachments.render(m.attachments));

    if (isPending) node.append(pendingState(m));
    else if (seen) node.append(h("div", "msg-state msg-state--seen", "Seen"));
    return node;
  }

  function pendingState(p) {
    var line = h("div", "msg-state");
    if (p.status === "failed") {
      line.classList.add("msg-state--failed");
      line.append(h("span", null, "Not sent" + (p.error ? ": " + p.error : ".") + " "));
      var retry = h("button", "link-button", "Retry");
      retry.type = "button";
      retry.dataset.testid = "retry";
      retry.addEventListener("click", function () { deliver(p); });
      line.append(retry);
    } else {
      line.textContent = socket.connected ? "Sending…" : "Waiting for the connection…";
    }
    return line;
  }

  /** Tell the server (and so the visitor) how far we have read, when the page is in view. */
  function markRead() {
    if (!state.openId || document.visibilityState !== "visible") return;
    var conv = state.known.get(state.openId);
    if (conv && conv.unread) { // the badge and the title clear at once
      conv.unread = 0;
      renderInbox();
      updateTitle();
    }
    var seq = lastSeq();
    if (seq <= state.lastReadSent) return;
    state.lastReadSent = seq;
    call("messages:read", { conversation_id: state.openId, seq: seq }).then(scheduleRefresh);
  }
  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("focus", markRead);

  function setVisitorTyping(typing) {
    state.visitorTyping = typing;
    clearTimeout(setVisitorTyping.timer);
    el.typing.textContent = typing && state.conv ? visitorName(state.conv.visitor) + " is typing…" : "";
    if (typing) setVisitorTyping.timer = setTimeout(function () { setVisitorTyping(false); }, 10000);
  }

  // --- actions -------------------------------------------------------------------------------

  function act(event, payload) {
    return call(event, payload).then(function (ack) {
      if (!ack.ok) {
        showAlert(ack.error.message);
        if (state.openId) openConversation(state.openId);
        return null;
      }
      if (ack.conversation && ack.conversation.id === state.openId) {
        state.conv = ack.conversation;
        remember(ack.conversation);
        renderHeader();
      }
      scheduleRefresh();
      return ack;
    });
  }

  el.claim.addEventListener("click", function () {
    act("conversation:claim", { conversation_id: state.openId });
  });
  el.close.addEventListener("click", function () {
    act("conversation:close", { conversation_id: state.openId });
  });
  el.reopen.addEventListener("click", function () {
    act("conversation:reopen", { conversation_id: state.openId });
  });
  el.transferSelect.addEventListener("change", function () {
    el.transferBtn.disabled = !el.transferSelect.value;
    $("transfer-note").hidden = !el.transferSelect.value;
  });
  el.transferBtn.addEventListener("click", function () {
    var target = el.transferSelect.value;
    if (!target) return;
    var note = $("transfer-note").value.trim();
    var payload = { conversation_id: state.openId, agent_id: target };
    if (note) payload.note = note;
    act("conversation:transfer", payload).then(function () {
      el.transferSelect.value = "";
      el.transferBtn.disabled = true;
      $("transfer-note").value = "";
      $("transfer-note").hidden = true;
    });
  });

  // --- the composer --------------------------------------------------------------------------

  function renderNoteToggle() {
    el.noteToggle.setAttribute("aria-pressed", state.noteMode ? "true" : "false");
    el.composer.classList.toggle("composer--note", state.noteMode);
    el.send.textContent = state.noteMode ? "Add note" : "Send";
    if (state.conv) renderHeader();
  }

  el.noteToggle.addEventListener("click", function () {
    state.noteMode = !state.noteMode;
    renderNoteToggle();
    el.input.focus();
  });

  el.composer.addEventListener("submit", function (event) {
    event.preventDefault();
    submitReply();
  });

  function submitReply() {
    var body = el.input.value;
    if (!body.trim() || body.trim() === "/") return; // a lone "/" only opens the canned menu
    if (!state.openId || !state.conv || state.conv.status !== "open") return;
    var p = {
      client_id: newClientId(),
      conversation_id: state.openId,
      body: body,
      private: state.noteMode,
      status: "pending",
      created_at: new Date().toISOString(),
      sender: { type: "agent", id: me.id, name: me.name },
    };
    el.input.value = "";
    drafts.save(state.openId, "");
    stopTyping();
    if (state.noteMode) { state.noteMode = false; renderNoteToggle(); }
    state.pending.set(p.client_id, p);
    renderTranscript(true);
    deliver(p);
  }

  /** Send (or resend) one message; the same client_id makes a resend exactly-once. */
  function deliver(p) {
    p.status = "pending";
    p.error = null;
    renderTranscript();
    if (!socket.connected) return; // sent again once the connection is back (see below)
    var payload = { conversation_id: p.conversation_id, client_id: p.client_id, body: p.body, private: p.private };
    if (p.attachment_ids) payload.attachment_ids = p.attachment_ids;
    call("message:send", payload).then(function (ack) {
      if (ack.ok) {
        state.pending.delete(p.client_id);
        addMessage(ack.message);
      } else if (state.pending.has(p.client_id) && (ack.error.code !== "timeout" || socket.connected)) {
        p.status = "failed";
        p.error = ack.error.message;
      } // else the connection dropped: it stays pending, and is resent once it is back

      if (p.conversation_id === state.openId) renderTranscript(true);
    });
  }

  /** Replies written or left unanswered while the connection was down go out again with the
   * same client_id once it is back (the open conversation's after its resync, in
   * resumeConversation); the server stores each once. */
  socket.on("connect", function () {
    state.pending.forEach(function (p) {
      if (p.status === "pending" && p.conversation_id !== state.openId) deliver(p);
    });
  });
  socket.on("disconnect", function () { renderTranscript(); });

  // --- attachments (static/shared/attachments.js uploads and draws them) ---------------------

  /** Upload each file, then send it to the open conversation (as a note in note mode). */
  function sendFiles(files) {
    var A = window.SupportAttachments;
    var bar = document.getElementById("attach-progress");
    var csrf = document.querySelector('input[name="csrf_token"]');
    var headers = csrf ? { "X-CSRFToken": csrf.value } : {};
    files.slice(0, 5).reduce(function (previous, file) {
      return previous.then(function () {
        if (!state.openId || !state.conv || state.conv.status !== "open") return null;
        var conversationId = state.openId, note = state.noteMode;
        return A.upload("/api/v1/attachments", headers, file, function (f) { A.progress(bar, f); }).then(function (attachment) {
          var p = {
            client_id: newClientId(), conversation_id: conversationId, body: "", private: note,
            attachment_ids: [attachment.id], attachments: [attachment], status: "pending",
            created_at: new Date().toISOString(), sender: { type: "agent", id: me.id, name: me.name },
          };
          state.pending.set(p.client_id, p);
          renderTranscript(true);
          deliver(p);
        }, function (err) {
          var why = { tooBig: "is too big", notAllowed: "is not an allowed type of file", rateLimited: "was refused: too many uploads" }[err.kind];
          showAlert(file.name + " " + (why || "could not be uploaded"));
        });
      }).finally(function () { A.progress(bar, null); });
    }, Promise.resolve());
  }
  if (window.SupportAttachments) {
    window.SupportAttachments.bind({ input: document.getElementById("attach-input"), dropTarget: el.composer, pasteTarget: el.input, onFiles: sendFiles });
  }

  var typingSent = false;
  var typingTimer = null;
  function stopTyping() {
    clearTimeout(typingTimer);
    if (typingSent && state.openId) call("typing", { conversation_id: state.openId, typing: false });
    typingSent = false;
  }

  el.input.addEventListener("input", function () {
    if (state.openId) drafts.save(state.openId, el.input.value);
    updateCanned();
    if (!state.openId || state.noteMode) return;
    if (!typingSent && el.input.value.trim()) {
      typingSent = true;
      call("typing", { conversation_id: state.openId, typing: true });
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, 3000);
  });

  el.input.addEventListener("keydown", function (event) {
    if (!el.canned.hidden && cannedKey(event)) return;
    if (event.key === "Escape" && !el.canned.hidden) { hideCanned(); return; }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitReply();
    }
  });

  // --- canned responses ----------------------------------------------------------------------

  function loadCanned() {
    call("canned:list", {}).then(function (ack) { if (ack.ok) state.canned = ack.responses; });
  }

  function cannedMatches() {
    var match = /^\/([a-z0-9_-]*)$/i.exec(el.input.value);
    if (!match) return [];
    var prefix = match[1].toLowerCase();
    return state.canned.filter(function (r) { return r.shortcut.indexOf(prefix) === 0; }).slice(0, 8);
  }

  function updateCanned() {
    var matches = cannedMatches();
    if (!matches.length && /^\/[a-z0-9_-]*$/i.test(el.input.value)) { showNoCanned(); return; }
    if (!matches.length) { hideCanned(); return; }
    state.cannedIndex = Math.min(state.cannedIndex, matches.length - 1);
    el.canned.replaceChildren.apply(el.canned, matches.map(function (r, i) {
      var li = h("li", "canned-option");
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === state.cannedIndex ? "true" : "false");
      li.dataset.testid = "canned-option";
      li.append(h("span", "canned-shortcut", "/" + r.shortcut), h("span", "canned-title", r.title));
      li.addEventListener("mousedown", function (event) { event.preventDefault(); insertCanned(r); });
      return li;
    }));
    el.canned.hidden = false;
  }

  /** "/" with nothing to offer says so, instead of silently doing nothing. */
  function showNoCanned() {
    var text = state.canned.length
      ? "No canned response starts with " + el.input.value
      : "No canned responses yet. Admins add them under Admin › Canned responses.";
    var li = h("li", "canned-option canned-option--empty", text);
    li.setAttribute("role", "option");
    li.setAttribute("aria-disabled", "true");
    li.dataset.testid = "canned-empty";
    el.canned.replaceChildren(li);
    el.canned.hidden = false;
  }

  function hideCanned() {
    el.canned.hidden = true;
    state.cannedIndex = 0;
  }

  function insertCanned(response) {
    el.input.value = response.body;
    hideCanned();
    el.input.focus();
    el.input.setSelectionRange(el.input.value.length, el.input.value.length);
  }

  /** Arrow keys move through the menu; Enter or Tab inserts; Escape closes. True if handled. */
  function cannedKey(event) {
    var matches = cannedMatches();
    if (!matches.length) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      var step = event.key === "ArrowDown" ? 1 : -1;
      state.cannedIndex = (state.cannedIndex + step + matches.length) % matches.length;
      updateCanned();
    } else if (event.key === "Enter" || event.key === "Tab") {
      insertCanned(matches[state.cannedIndex]);
    } else if (event.key === "Escape") {
      hideCanned();
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }

  // --- visitor context -----------------------------------------------------------------------

  function renderContext() {
    var visitor = state.visitor;
    if (!visitor) return;
    el.ctxEmpty.hidden = true;
    el.ctx.hidden = false;
    avatar(el.ctxAvatar, visitor);
    el.ctxName.textContent = visitorName(visitor);
    el.ctxEmail.textContent = visitor.email || "No email given";
    var rows = [
      ["Email", visitor.email, visitor.verified ? "verified" : null],
      ["Current page", visitor.page_url, "link"],
      ["Referrer", visitor.referrer, "link"],
      ["Browser", visitor.browser],
      ["System", visitor.os],
      ["Language", visitor.locale],
      ["Local time", localTime(visitor.timezone)],
      ["First seen", fullTime(visitor.first_seen_at)],
    ];
    var nodes = [];
    rows.forEach(function (row) {
      if (!row[1]) return;
      var dt = h("dt", null, row[0]);
      var dd = h("dd");
      if (row[2] === "link" && /^https?:\/\//i.test(row[1])) {
        var a = h("a", null, row[1]);
        a.href = row[1];
        a.target = "_blank";
        a.rel = "noopener noreferrer nofollow";
        dd.append(a);
      } else {
        dd.textContent = row[1];
        if (row[2] === "verified") dd.append(" ", h("span", "verified verified--small", "Verified"));
      }
      nodes.push(dt, dd);
    });
    el.ctxList.replaceChildren.apply(el.ctxList, nodes);
    var past = state.history.map(function (conv) {
      var li = h("li");
      var a = h("a", "history-link");
      a.href = "#c=" + conv.id;
      if (conv.id === state.openId) a.setAttribute("aria-current", "true");
      a.append(
        h("span", "history-date", fullTime(conv.created_at)),
        h("span", "badge badge--" + conv.status, conv.status === "open" ? "Open" : "Closed"),
        h("span", "history-preview", conv.preview || "No messages")
      );
      li.append(a);
      return li;
    });
    if (!past.length) past.push(h("li", "history-none", "None"));
    el.ctxHistory.replaceChildren.apply(el.ctxHistory, past);
  }

  /** Phones: back from the conversation to the list (the conversation stays open). */
  el.back.addEventListener("click", function () {
    root.classList.remove("dash--conversation", "dash--details");
    var item = el.list.querySelector('[aria-current="true"]');
    if (item) item.focus();
  });

  /** Narrow screens hide the details column; the Details button opens it over the page. */
  function showDetails(open) {
    root.classList.toggle("dash--details", open);
    el.details.setAttribute("aria-expanded", open ? "true" : "false");
    (open ? el.ctxClose : el.details).focus();
  }
  el.details.addEventListener("click", function () {
    showDetails(!root.classList.contains("dash--details"));
  });
  el.ctxClose.addEventListener("click", function () { showDetails(false); });

  function localTime(timezone) {
    if (!timezone) return null;
    try {
      return new Date().toLocaleTimeString([], { timeZone: timezone, hour: "2-digit", minute: "2-digit" }) +
        " (" + timezone + ")";
    } catch (e) {
      return null;
    }
  }

  // --- presence ------------------------------------------------------------------------------

  function loadPresence() {
    call("presence:list", {}).then(function (ack) {
      if (!ack.ok) return;
      state.agents = new Map();
      ack.agents.forEach(function (a) { state.agents.set(a.agent_id, { name: a.name, status: a.status }); });
      var mine = state.agents.get(me.id);
      renderPresence(mine ? mine.status : "online");
      renderTransferOptions();
    });
  }

  function renderPresence(status) {
    state.myStatus = status;
    if (!el.presence) return;
    el.presence.hidden = false;
    el.presence.querySelectorAll("[data-status]").forEach(function (button) {
      button.setAttribute("aria-pressed", button.dataset.status === status ? "true" : "false");
    });
  }

  if (el.presence) {
    el.presence.querySelectorAll("[data-status]").forEach(function (button) {
      button.addEventListener("click", function () {
        var status = button.dataset.status;
        call("presence:set", { status: status }).then(function (ack) {
          if (ack.ok) renderPresence(status);
        });
      });
    });
  }

  // --- colleagues on the same conversation: who is viewing, who is typing --------------------

  var VIEWING_EVERY = 20000; // the dashboard repeats "viewing" this often while it shows one
  var viewers = new Map(); // agent_id -> {name, typing, seen}

  /** A colleague is on the open conversation (``change`` null: left it). */
  function colleagueSeen(agentId, name, change) {
    if (!agentId || agentId === me.id) return;
    if (change === null) viewers.delete(agentId);
    else {
      var viewer = viewers.get(agentId) || { typing: false };
      viewer.name = name;
      viewer.seen = Date.now();
      if (change.typing !== undefined) viewer.typing = change.typing;
      viewers.set(agentId, viewer);
    }
    renderColleagues();
  }

  function renderColleagues() {
    var now = Date.now();
    var typing = [], viewing = [];
    viewers.forEach(function (viewer, id) {
      if (now - viewer.seen > VIEWING_EVERY * 2.5) { viewers.delete(id); return; }
      (viewer.typing ? typing : viewing).push(viewer.name);
    });
    var parts = [];
    if (typing.length) parts.push(typing.join(", ") + (typing.length > 1 ? " are" : " is") + " typing…");
    if (viewing.length) parts.push(viewing.join(", ") + (viewing.length > 1 ? " are" : " is") + " viewing");
    el.collision.textContent = parts.join(" · ");
    el.collision.hidden = !parts.length;
  }

  function announceViewing(conversationId, viewing) {
    if (conversationId && socket.connected) {
      call("conversation:viewing", { conversation_id: conversationId, viewing: viewing });
    }
  }

  setInterval(function () {
    if (document.visibilityState === "visible") announceViewing(state.openId, true);
    renderColleagues();
  }, VIEWING_EVERY);
  window.addEventListener("pagehide", function () { announceViewing(state.openId, false); });

  // --- keyboard shortcuts (not while typing in a field) --------------------------------------

  var SHORTCUTS = {
    j: function () { stepConversation(1); },
    k: function () { stepConversation(-1); },
    c: function () { if (!el.claim.hidden) el.claim.click(); },
    e: function () { if (!el.close.hidden) el.close.click(); },
    r: function () { if (!el.input.disabled && state.openId) el.input.focus(); },
    "/": function () { el.search.focus(); },
    "?": function () { $("shortcuts").showModal(); },
  };

  function typingInAField(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && (event.target === el.input || event.target === el.search)) {
      event.target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typingInAField(event.target)) return;
    if ($("shortcuts").open) return;
    var action = SHORTCUTS[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  /** Open the next (or previous) conversation of the list shown. */
  function stepConversation(step) {
    var items = Array.prototype.slice.call(el.list.querySelectorAll("[data-conversation-id]"));
    if (!items.length) return;
    var at = items.findIndex(function (node) { return node.dataset.conversationId === state.openId; });
    var next = items[at < 0 ? (step > 0 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, at + step))];
    next.focus();
    var id = next.dataset.conversationId;
    if (location.hash !== "#c=" + id) history.replaceState(null, "", "#c=" + id);
    openConversation(id);
  }

  // --- attention: sound, desktop notification, title -----------------------------------------

  var audio = null;
  function unlockAudio() {
    if (audio || !(window.AudioContext || window.webkitAudioContext)) return;
    audio = new (window.AudioContext || window.webkitAudioContext)();
  }
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  document.addEventListener("keydown", unlockAudio, { once: true });

  function chime() {
    if (!audio || audio.state !== "running") return;
    var now = audio.currentTime;
    [880, 1320].forEach(function (frequency, i) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, now + i * 0.12);
      gain.gain.exponentialRampToValueAtTime(0.12, now + i * 0.12 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.12 + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.12);
      osc.stop(now + i * 0.12 + 0.3);
    });
  }

  function attention(title, body, conversationId) {
    if (state.myStatus === "away") return; // Away means no chime and no notifications
    chime();
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    if (document.visibilityState === "visible" && document.hasFocus()) return;
    var note = new Notification(title, { body: String(body || "").slice(0, 140), tag: conversationId });
    note.onclick = function () { window.focus(); selectConversation(conversationId); note.close(); };
  }

  if ("Notification" in window && Notification.permission === "default" && el.notify) {
    el.notify.hidden = false;
    el.notify.addEventListener("click", function () {
      Notification.requestPermission().then(function () { el.notify.hidden = true; });
    });
  }
})();
