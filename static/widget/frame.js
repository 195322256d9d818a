/* The widget frame: contact panel and live chat. Runs on this server's origin inside the loader's
 * iframe, so its socket is same-origin and its storage is apart from the host page.
 * Visitor and agent text is only ever set with textContent (links are built as elements). */
(function () {
  "use strict";
  var script = document.currentScript;
  var ICONS = script.getAttribute("data-icons");
  var SOCKETIO = script.getAttribute("data-socketio");
  var KEY = "support-widget:token";
  var COOKIE = "support_vt";
  var SEND_TIMEOUT = 10000;
  var NETWORKS = ["facebook", "x", "linkedin", "instagram", "youtube", "whatsapp", "tiktok", "github", "telegram"];
  var DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  var URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;
  var EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

  /* ---- the host page: it named its origin; messages go only there and come only from there */
  var hostOrigin = new URLSearchParams(location.search).get("origin");
  var ancestors = location.ancestorOrigins;
  if (window.parent === window || (ancestors && ancestors.length && ancestors[0] !== hostOrigin)) hostOrigin = null;

  function toHost(msg) {
    if (!hostOrigin) return;
    msg.source = "support-frame";
    window.parent.postMessage(msg, hostOrigin);
  }

  /* ---- language */
  var I = window.SUPPORT_I18N;
  var lang = (function () {
    var wanted = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
    for (var i = 0; i < wanted.length; i++) {
      var code = String(wanted[i]).slice(0, 2).toLowerCase();
      if (I[code]) return code;
    }
    return "en";
  })();
  function tr(key, vars) {
    var text = (I[lang] && I[lang][key]) || I.en[key] || key;
    return text.replace(/\{(\w+)\}/g, function (m, k) { return vars && k in vars ? String(vars[k]) : m; });
  }

  /* ---- elements */
  function $(id) { return document.getElementById(id); }
  var el = {};
  ["panel", "back", "close", "brand-name", "brand-tagline", "chat-title", "home", "intro", "phone-item", "phone",
    "phone-text", "email-item", "email", "email-text", "socials", "hours", "hours-list", "start-chat", "start-label",
    "status-dot", "status-text", "chat", "log", "greeting", "greeting-text", "messages", "ended", "stars", "rated",
    "typing", "connection", "composer", "offline-note", "prechat", "field-name", "field-email", "visitor-name",
    "visitor-email", "form-error", "chat-input", "chat-send", "sent-note", "transcript-field", "transcript-address",
    "transcript-send", "transcript-note"
  ].forEach(function (id) { el[id.replace(/-(\w)/g, function (m, c) { return c.toUpperCase(); })] = $(id); });

  /* ---- state */
  var state = {
    config: null, online: false, open: false, view: "home", token: null, socket: null, loaded: false,
    conversation: null, messages: {}, rows: {}, pending: {}, lastSeq: 0, readByAgent: 0, readSent: 0,
    unread: 0, identity: {}, page: {}, emailKnown: null, required: {}, typingSent: false, typingTimer: null,
    agentTypingTimer: null, creating: null
  };

  /* ---- token storage: the frame's localStorage (partitioned per embedding site by browsers);
   * where a cross-site frame is denied it, a partitioned cookie (https only); failing both, one
   * key in the host page's localStorage through the loader, and this page view's sessionStorage. */
  var store = {
    read: function () {
      try { var v = localStorage.getItem(KEY); if (v) return v; } catch (e) { /* denied */ }
      var m = document.cookie.match(new RegExp("(?:^|; )" + COOKIE + "=([^;]+)"));
      if (m) return decodeURIComponent(m[1]);
      try { return sessionStorage.getItem(KEY); } catch (e) { return null; }
    },
    write: function (token) {
      try {
        localStorage.setItem(KEY, token);
        if (localStorage.getItem(KEY) === token) return;
      } catch (e) { /* denied */ }
      if (location.protocol === "https:") {
        document.cookie = COOKIE + "=" + encodeURIComponent(token) +
          "; Path=/widget; Max-Age=31536000; SameSite=None; Secure; Partitioned";
        if (document.cookie.indexOf(COOKIE + "=") !== -1) return;
      }
      toHost({ type: "store", token: token });
      try { sessionStorage.setItem(KEY, token); } catch (e) { /* memory only */ }
    },
    clear: function () {
      try { localStorage.removeItem(KEY); } catch (e) { /* denied */ }
      try { sessionStorage.removeItem(KEY); } catch (e) { /* denied */ }
      document.cookie = COOKIE + "=; Path=/widget; Max-Age=0; SameSite=None; Secure; Partitioned";
      toHost({ type: "store", token: null });
    }
  };

  /* ---- small helpers */
  function svgIcon(name) {
    var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg"), use = document.createElementNS(ns, "use");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    use.setAttribute("href", ICONS + "#" + name);
    svg.appendChild(use);
    return svg;
  }

  function node(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }

  function safeUrl(raw) {
    try {
      var u = new URL(raw);
      return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
    } catch (e) { return null; }
  }

  /* Text with http(s) URLs made into links that open apart from the widget. Never innerHTML. */
  function linkify(text) {
    var frag = document.createDocumentFragment(), last = 0, m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(text))) {
      var url = m[0].replace(/[.,;:!?)\]}'"]+$/, ""), href = safeUrl(url);
      if (!href) continue;
      frag.appendChild(document.createTextNode(text.slice(last, m.index)));
      var a = node("a", null, url);
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      frag.appendChild(a);
      last = m.index + url.length;
      URL_RE.lastIndex = last;
    }
    frag.appendChild(document.createTextNode(text.slice(last)));
    return frag;
  }

  function lum(hex) {
    var m = /^#?([0-9a-f]{6})$/i.exec(hex || "");
    if (!m) return 0.1;
    var n = parseInt(m[1], 16);
    var c = [n >> 16, (n >> 8) & 255, n & 255].map(function (v) {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  /* White or black text on the brand colour, whichever contrasts more: always at least 4.5:1. */
  function onBrand(hex) {
    var l = lum(hex);
    return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? "#ffffff" : "#000000";
  }

  function newClientId() {
    var a = new Uint8Array(12);
    crypto.getRandomValues(a);
    return "w-" + Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function timeOf(iso) {
    var d = iso ? new Date(iso) : new Date();
    return d.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
  }

  /* ---- configuration */
  function loadConfig() {
    /* The HTTP cache keeps it for seconds and then revalidates it (ETag): cheap for the server. */
    return fetch("/api/widget/config")
      .then(function (r) { return r.json(); })
      .then(applyConfig)
      .catch(function () { /* keep what is shown */ });
  }

  function applyConfig(c) {
    if (!c || !c.brand) return;
    state.config = c;
    if (c.chat && typeof c.chat.online === "boolean") state.online = c.chat.online;
    var brand = c.brand, contact = c.contact || {}, color = /^#[0-9a-f]{6}$/i.test(brand.color || "") ? brand.color : "#1f6feb";
    document.documentElement.style.setProperty("--brand", color);
    document.documentElement.style.setProperty("--on-brand", onBrand(color));
    el.brandName.textContent = brand.name || "";
    el.brandTagline.textContent = brand.tagline || "";
    document.title = tr("dialog", { brand: brand.name || "" });
    el.intro.textContent = contact.intro || "";
    el.intro.hidden = !contact.intro;
    renderContact(contact);
    renderHours(c.hours);
    el.greetingText.textContent = (c.chat && c.chat.greeting) || "";
    el.greeting.hidden = !(c.chat && c.chat.greeting);
    renderStatus();
    toHost({ type: "config", color: color, position: (c.layout && c.layout.position) || "right", title: document.title });
  }

  function renderContact(contact) {
    el.phoneItem.hidden = !contact.phone;
    if (contact.phone) {
      el.phone.href = "tel:" + String(contact.phone).replace(/[^\d+]/g, "");
      el.phoneText.textContent = contact.phone;
    }
    el.emailItem.hidden = !contact.email;
    if (contact.email) {
      el.email.href = "mailto:" + contact.email;
      el.emailText.textContent = contact.email;
    }
    el.socials.replaceChildren();
    (contact.socials || []).forEach(function (s) {
      var href = safeUrl(s && s.url);
      if (!href) return;
      var network = s.network === "twitter" ? "x" : String(s.network || "").toLowerCase();
      var a = node("a");
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.setAttribute("data-testid", "social-link");
      a.setAttribute("data-network", network);
      a.setAttribute("aria-label", tr("follow", { label: s.label || s.network || href }));
      a.title = s.label || s.network || "";
      a.appendChild(svgIcon(NETWORKS.indexOf(network) !== -1 ? network : "link"));
      var li = node("li");
      li.appendChild(a);
      el.socials.appendChild(li);
    });
    el.socials.hidden = !el.socials.children.length;
  }

  function spanText(v) {
    if (!v) return "";
    if (typeof v === "string") return v.replace(/\s*-\s*/, "–");
    if (Array.isArray(v)) {
      if (v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string") return v[0] + "–" + v[1];
      return v.map(spanText).filter(Boolean).join(", ");
    }
    if (typeof v === "object" && !v.closed && v.enabled !== false) {
      var a = v.open || v.start || v.from, b = v.close || v.end || v.to;
      return a && b ? a + "–" + b : "";
    }
    return "";
  }

  function renderHours(hours) {
    el.hoursList.replaceChildren();
    el.hours.hidden = !(hours && hours.enabled);
    if (el.hours.hidden) return;
    var days = hours.days || {}, names = new Intl.DateTimeFormat(lang, { weekday: "long", timeZone: "UTC" });
    DAYS.forEach(function (key, i) {
      var full = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"][i];
      var value = days[key] || days[full] || days[String(i)];
      el.hoursList.appendChild(node("dt", null, names.format(new Date(Date.UTC(2024, 0, 1 + i)))));
      el.hoursList.appendChild(node("dd", null, spanText(value) || tr("closedDay")));
    });
    if (hours.timezone) el.hoursList.appendChild(node("dd", "tz", "(" + hours.timezone + ")"));
  }

  function renderStatus() {
    var hasChat = !!(state.conversation || state.token);
    el.startLabel.textContent = hasChat ? tr("resume") : tr("start");
    if (state.unread && hasChat) el.startLabel.textContent += " (" + state.unread + ")";
    el.statusText.textContent = state.online ? tr("online") : tr("offline");
    el.statusDot.classList.toggle("on", state.online);
    renderComposer();
  }

  /* Pre-chat fields as the admin set them: {name, label, required} (a bare name is required). */
  function prechat() {
    var out = {}, raw = (state.config && state.config.chat && state.config.chat.prechat_fields) || [];
    raw.forEach(function (f) {
      var spec = typeof f === "string" ? { name: f, required: true } : f || {};
      if (spec.name === "name" || spec.name === "email") out[spec.name] = spec;
    });
    return out;
  }

  function renderComposer() {
    var fields = prechat(), fresh = !state.token;
    var needEmail = !state.online && !state.emailKnown;
    el.offlineNote.hidden = state.online;
    el.offlineNote.textContent = (state.config && state.config.chat && state.config.chat.offline_message) || "";
    el.fieldName.hidden = !(fresh && fields.name && !state.identity.name);
    el.fieldEmail.hidden = !((fresh && fields.email && !state.identity.email) || needEmail);
    el.prechat.hidden = el.fieldName.hidden && el.fieldEmail.hidden;
    state.required = {
      name: !!(fields.name && fields.name.required),
      email: needEmail || !!(fields.email && fields.email.required)
    };
    el.visitorName.required = state.required.name;
    el.visitorEmail.required = state.required.email;
    el.fieldName.querySelector("label").textContent = (fields.name && fields.name.label) || tr("name");
    el.fieldEmail.querySelector("label").textContent = (fields.email && fields.email.label && !needEmail) ? fields.email.label : tr("yourEmail");
    var title = state.conversation && state.conversation.assignee
      ? tr("chattingWith", { name: state.conversation.assignee.name }) : tr("teamTitle");
    el.chatTitle.textContent = title;
  }

  /* ---- views and focus */
  function show(view, focus) {
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

  function scrollDown() { el.log.scrollTop = el.log.scrollHeight; }

  function setUnread(n) {
    state.unread = n;
    renderStatus();
    toHost({ type: "unread", count: n });
  }

  /* The visitor has seen the chat: clear the count and tell agents what was read. */
  function seen() {
    if (!state.open || state.view !== "chat") return;
    if (state.unread) setUnread(0);
    if (state.socket && state.socket.connected && state.conversation && state.lastSeq > state.readSent) {
      state.readSent = state.lastSeq;
      state.socket.emit("messages:read", { seq: state.lastSeq }, function () { /* best effort */ });
    }
  }

  /* ---- messages */
  function rowFor(sender) {
    var li = node("div", "bubble-row " + sender);
    li.setAttribute("data-testid", "chat-message");
    li.setAttribute("data-sender", sender);
    return li;
  }

  /* The bubble is built once per row (a live region announces added nodes, so confirming a
   * pending message must not rebuild its text); the meta line below it is rebuilt freely. */
  function fillRow(li, m) {
    var sender = m.sender.type;
    if (!li.querySelector(".bubble, .attachments")) {
      if (sender === "agent" && m.sender.name) {
        var prev = li.previousElementSibling || el.messages.lastElementChild;
        if (!(prev && prev !== li && prev.getAttribute("data-name") === m.sender.name)) li.appendChild(node("p", "sender", m.sender.name));
        li.setAttribute("data-name", m.sender.name);
      }
      if (m.body || !(m.attachments && m.attachments.length)) {
        var bubble = node("p", "bubble");
        bubble.appendChild(sender === "agent" ? linkify(m.body) : document.createTextNode(m.body));
        li.appendChild(bubble);
      }
      showAttachments(li, m.attachments);
    }
    var old = li.querySelector(".meta");
    if (old) old.remove();
    var meta = node("p", "meta");
    meta.setAttribute("aria-hidden", "true");
    var time = node("time", "time", timeOf(m.created_at));
    if (m.created_at) time.dateTime = m.created_at;
    meta.appendChild(time);
    li.appendChild(meta);
    return meta;
  }

  function renderMessage(m) {
    var li = state.rows[m.id] || rowFor(m.sender.type);
    li.setAttribute("data-id", m.id);
    li.setAttribute("data-seq", String(m.seq));
    li.className = "bubble-row " + m.sender.type;
    state.rows[m.id] = li;
    var after = null;
    Array.prototype.some.call(el.messages.children, function (other) {
      var seq = other.getAttribute("data-seq");
      if (other !== li && (seq === null || Number(seq) > m.seq)) { after = other; return true; }
      return false;
    });
    el.messages.insertBefore(li, after);
    fillRow(li, m);
  }

  function renderPending(item) {
    var li = item.row || rowFor("visitor");
    item.row = li;
    li.setAttribute("data-client-id", item.client_id);
    li.setAttribute("data-status", item.status);
    li.className = "bubble-row visitor " + item.status;
    if (!li.parentNode) el.messages.appendChild(li);
    var meta = fillRow(li, { sender: { type: "visitor" }, body: item.body, attachments: item.attachments });
    if (item.status === "pending") meta.appendChild(node("span", "state", tr("sending")));
    if (item.status === "failed") {
      meta.removeAttribute("aria-hidden");
      meta.appendChild(node("span", "state", item.error || tr("failed")));
      var retry = node("button", "retry", tr("retry"));
      retry.type = "button";
      retry.setAttribute("data-testid", "chat-retry");
      retry.addEventListener("click", function () { deliver(item); el.chatInput.focus(); });
      meta.appendChild(retry);
    }
    scrollDown();
  }

  function renderSeen() {
    var old = el.messages.querySelector(".seen-label");
    if (old) old.remove();
    var rows = el.messages.querySelectorAll(".bubble-row.visitor[data-seq]"), target = null;
    Array.prototype.forEach.call(rows, function (r) { if (Number(r.getAttribute("data-seq")) <= state.readByAgent) target = r; });
    if (target) target.querySelector(".meta").appendChild(node("span", "seen-label", tr("seen")));
  }

  function clearMessages() {
    state.messages = {};
    state.rows = {};
    state.lastSeq = state.readByAgent = state.readSent = 0;
    Array.prototype.slice.call(el.messages.querySelectorAll("[data-seq]")).forEach(function (r) { r.remove(); });
  }

  function setConversation(c) {
    if (!c) return;
    if (state.conversation && state.conversation.id !== c.id) clearMessages();
    state.conversation = c;
    if (c.visitor && c.visitor.email) state.emailKnown = c.visitor.email;
    var closed = c.status === "closed";
    el.ended.hidden = !closed;
    el.rated.hidden = !c.rating;
    Array.prototype.forEach.call(el.stars.children, function (b, i) {
      b.setAttribute("aria-pressed", String(c.rating === i + 1));
    });
    renderStatus();
  }

  /* Adds a message once (by id); a live one may also confirm a pending bubble of this visitor. */
  function addMessage(m, live) {
    if (!m || m.private) return;
    if (state.conversation && m.conversation_id !== state.conversation.id) {
      if (live) getConversation();
      return;
    }
    if (state.messages[m.id]) return;
    state.messages[m.id] = m;
    var pending = m.sender.type === "visitor" && m.client_id && state.pending[m.client_id];
    if (pending) {
      state.rows[m.id] = pending.row;
      delete state.pending[m.client_id];
      pending.row.removeAttribute("data-client-id");
      pending.row.removeAttribute("data-status");
    }
    state.lastSeq = Math.max(state.lastSeq, m.seq);
    renderMessage(m);
    renderSeen();
    scrollDown();
    if (!live) return;
    toHost({ type: "event", name: "message", data: { id: m.id, sender: m.sender.type, body: m.body } });
    if (m.sender.type !== "agent") return;
    showTyping(null);
    if (state.open && state.view === "chat") seen();
    else setUnread(state.unread + 1);
  }

  /* ---- the socket */
  function loadSocketIo() {
    if (window.io) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = SOCKETIO;
      s.onload = resolve;
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }

  function connect() {
    if (state.socket || !state.token) return;
    state.socket = "loading";
    loadSocketIo().then(function () {
      var socket = window.io("/visitor", { auth: { token: state.token }, reconnectionDelay: 500, reconnectionDelayMax: 2000 });
      state.socket = socket;
      socket.on("connect", onConnect);
      socket.on("connect_error", onConnectError);
      socket.on("disconnect", function (reason) {
        el.connection.textContent = tr("reconnecting");
        el.connection.hidden = false;
        if (reason === "io server disconnect") socket.connect();
      });
      socket.on("message:new", function (m) { addMessage(m, true); });
      socket.on("conversation:updated", function (c) {
        if (state.conversation && state.conversation.id !== c.id && c.status === "closed") return;
        var fresh = state.conversation && state.conversation.id !== c.id;
        setConversation(c);
        if (fresh) getConversation();
      });
      socket.on("typing", function (d) { if (d && d.from === "agent") showTyping(d.typing ? d.name || tr("someone") : null); });
      socket.on("messages:read", function (d) {
        if (!d || d.by !== "agent") return;
        state.readByAgent = Math.max(state.readByAgent, d.seq);
        renderSeen();
      });
      socket.on("queue", function (d) { showQueue(d && d.position); });
      socket.on("availability", function (d) { state.online = !!(d && d.online); renderStatus(); });
      socket.on("config:updated", function (c) {
        if (c && c.chat && typeof c.chat.online !== "boolean") c.chat.online = state.online;
        applyConfig(c);
      });
    }, function () { state.socket = null; });
  }

  function onConnect() {
    el.connection.hidden = true;
    if (state.loaded && state.conversation) sync();
    else getConversation();
    Object.keys(state.pending).forEach(function (id) { deliver(state.pending[id]); });
    var who = identityPayload();
    if (who) state.socket.emit("visitor:update", who, function () { /* best effort */ });
  }

  function onConnectError(err) {
    if (!(err && err.data && err.data.code === "unauthorized")) return;
    /* The token is no longer valid (visitor deleted, key rotated): start afresh on next send. */
    state.socket.disconnect();
    state.socket = null;
    state.token = null;
    state.conversation = null;
    clearMessages();
    store.clear();
    setConversation(null);
    el.ended.hidden = true;
    renderStatus();
    if (Object.keys(state.pending).length) ensureVisitor().then(function () { /* pending resent on connect */ });
  }

  function getConversation() {
    var socket = state.socket;
    socket.emit("conversation:get", {}, function (ack) {
      if (!ack || !ack.ok) return;
      if (ack.conversation) setConversation(ack.conversation);
      if (ack.queue) showQueue(ack.queue.position);
      (ack.messages || []).forEach(function (m) { addMessage(m, false); });
      restoreUnread(ack.conversation, ack.messages || []);
      state.loaded = true;
      renderSeen();
      seen();
    });
  }

  /* After a reload: agent messages past the visitor's read mark are still unread. */
  function restoreUnread(conversation, messages) {
    var readUpTo = (conversation && conversation.visitor_read_seq) || 0;
    state.readSent = Math.max(state.readSent || 0, readUpTo);
    if (state.open && state.view === "chat") return;
    var unread = messages.filter(function (m) { return m.sender.type === "agent" && m.seq > readUpTo; });
    if (unread.length !== state.unread) setUnread(unread.length);
  }

  /* After a reconnect: exactly what was missed, by seq; a different conversation means reload it. */
  function sync() {
    var after = state.lastSeq, conversationId = state.conversation.id;
    state.socket.emit("sync", { after_seq: after }, function (ack) {
      if (!ack || !ack.ok) return;
      var messages = ack.messages || [];
      if (messages.some(function (m) { return m.conversation_id !== conversationId; })) return getConversation();
      messages.forEach(function (m) { addMessage(m, true); });
      state.socket.emit("conversation:get", {}, function (full) {
        if (full && full.ok && full.conversation && full.conversation.id === conversationId) setConversation(full.conversation);
      });
    });
  }

  /** Automatic routing: the visitor's place in line while every agent is busy (0: none). */
  function showQueue(position) {
    var line = $("queue");
    line.hidden = !(position > 0);
    line.textContent = position > 0 ? tr("queue", { n: position }) : "";
  }

  function showTyping(name) {
    clearTimeout(state.agentTypingTimer);
    el.typing.hidden = !name;
    el.typing.textContent = name ? tr("typing", { name: name }) : "";
    if (name) state.agentTypingTimer = setTimeout(function () { showTyping(null); }, 8000);
  }

  function sendTyping(on) {
    var s = state.socket;
    if (!s || !s.connected || !state.conversation || state.conversation.status !== "open") return;
    if (on === state.typingSent) return;
    state.typingSent = on;
    s.emit("typing", { typing: on }, function () { /* best effort */ });
  }

  /* ---- the visitor: created on the first message only */
  function identityPayload() {
    var who = {};
    ["name", "email", "hash"].forEach(function (k) { if (state.identity[k]) who[k] = state.identity[k]; });
    return Object.keys(who).length ? who : null;
  }

  /** The visitor's IANA time zone, so agents can see the visitor's local time. */
  function browserTimeZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined; } catch (e) { return undefined; }
  }

  function ensureVisitor(profile) {
    if (state.token) {
      connect();
      return Promise.resolve();
    }
    if (state.creating) return state.creating;
    var body = Object.assign({ locale: navigator.language || undefined, timezone: browserTimeZone() }, state.page, identityPayload() || {}, profile || {});
    state.creating = fetch("/api/widget/visitors", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (data) {
        if (r.status !== 201) throw new Error(r.status === 429 ? tr("rateLimited") : tr("error"));
        state.token = data.token;
        store.write(data.token);
        connect();
        renderStatus();
      });
    }).finally(function () { state.creating = null; });
    return state.creating;
  }

  function deliver(item) {
    clearTimeout(item.timer);
    item.status = "pending";
    renderPending(item);
    item.timer = setTimeout(function () {
      if (state.pending[item.client_id] === item) fail(item, tr("failed"));
    }, SEND_TIMEOUT);
    var s = state.socket;
    if (!s || typeof s === "string" || !s.connected) return; /* sent again on connect */
    var payload = { client_id: item.client_id, body: item.body };
    if (item.attachment_ids) payload.attachment_ids = item.attachment_ids;
    s.timeout(SEND_TIMEOUT).emit("message:send", payload, function (err, ack) {
      if (state.pending[item.client_id] !== item) return;
      if (err) return fail(item, tr("failed"));
      if (!ack.ok) return fail(item, ack.error && ack.error.code === "rate_limited" ? tr("rateLimited") : ack.error.message);
      clearTimeout(item.timer);
      setConversation(ack.conversation);
      addMessage(ack.message, true);
    });
  }

  function fail(item, why) {
    clearTimeout(item.timer);
    item.status = "failed";
    item.error = why;
    renderPending(item);
  }

  /* ---- the composer */
  function formError(text, field) {
    el.formError.textContent = text || "";
    el.formError.hidden = !text;
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
    }
  }

  function readForm() {
    var profile = {}, name = el.visitorName.value.trim(), email = el.visitorEmail.value.trim();
    el.visitorName.removeAttribute("aria-invalid");
    el.visitorEmail.removeAttribute("aria-invalid");
    if (!el.fieldName.hidden && name) profile.name = name;
    if (!el.fieldName.hidden && !name && state.required.name) {
      return formError(tr("required", { field: el.fieldName.querySelector("label").textContent }), el.visitorName);
    }
    if (!el.fieldEmail.hidden && email) {
      if (!EMAIL_RE.test(email)) return formError(tr("invalidEmail"), el.visitorEmail);
      profile.email = email;
    }
    if (!el.fieldEmail.hidden && !email && state.required.email) {
      return formError(state.online ? tr("required", { field: el.fieldEmail.querySelector("label").textContent }) : tr("emailNeeded"), el.visitorEmail);
    }
    formError(null);
    return profile;
  }

  function submit(e) {
    e.preventDefault();
    var body = el.chatInput.value;
    if (!body.trim()) return el.chatInput.focus();
    var profile = readForm();
    if (!profile) return;
    var item = { client_id: newClientId(), body: body, status: "pending" };
    state.pending[item.client_id] = item;
    renderPending(item);
    el.chatInput.value = "";
    autosize();
    sendTyping(false);
    var hadVisitor = !!state.token;
    ensureVisitor(profile).then(function () {
      if (profile.name) state.identity.name = profile.name;
      if (!profile.email) return deliver(item);
      state.emailKnown = profile.email;
      if (!state.online) {
        el.sentNote.textContent = tr("offlineSent", { email: profile.email });
        el.sentNote.hidden = false;
      }
      renderComposer();
      if (!hadVisitor) return deliver(item);
      /* An existing visitor leaves an email: store it before the message that relies on it. */
      state.socket.emit("visitor:update", { email: profile.email }, function () { deliver(item); });
    }, function (err) { fail(item, err.message); });
  }

  /* ---- attachments (static/shared/attachments.js does the uploading and drawing) */
  function showAttachments(li, attachments) {
    if (attachments && attachments.length && window.SupportAttachments) li.appendChild(window.SupportAttachments.render(attachments));
  }

  /** Upload each file (creating the visitor first if need be), then send it as a message. */
  function sendFiles(files) {
    var A = window.SupportAttachments;
    formError(null);
    files.slice(0, 5).reduce(function (previous, file) {
      return previous.then(function () { return ensureVisitor(); }).then(function () {
        return A.upload("/api/widget/attachments", { Authorization: "Bearer " + state.token }, file, function (f) { A.progress($("attach-progress"), f); });
      }).then(function (attachment) {
        var item = { client_id: newClientId(), body: "", attachment_ids: [attachment.id], attachments: [attachment], status: "pending" };
        state.pending[item.client_id] = item;
        renderPending(item);
        deliver(item);
      }, function (err) {
        formError(tr({ tooBig: "tooBig", notAllowed: "notAllowed", rateLimited: "rateLimited" }[err.kind] || "uploadFailed"));
      }).finally(function () { A.progress($("attach-progress"), null); });
    }, Promise.resolve());
  }

  function autosize() {
    el.chatInput.style.height = "auto";
    el.chatInput.style.height = Math.min(el.chatInput.scrollHeight + 2, 144) + "px";
  }

  function onInput() {
    autosize();
    sendTyping(!!el.chatInput.value.trim());
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(function () { sendTyping(false); }, 3000);
  }

  function rate(n) {
    var s = state.socket;
    if (!s || !s.connected) return;
    s.emit("conversation:rate", { rating: n }, function (ack) {
      if (ack && ack.ok) setConversation(ack.conversation);
    });
  }

  /* ---- "Email me this conversation" (a closed chat) */
  function emailTranscript() {
    var s = state.socket, payload = {};
    if (!s || typeof s === "string" || !s.connected) return;
    if (!state.emailKnown) {
      if (el.transcriptField.hidden) {
        el.transcriptField.hidden = false;
        el.transcriptAddress.focus();
        return;
      }
      payload.email = el.transcriptAddress.value.trim();
      if (!EMAIL_RE.test(payload.email)) return transcriptNote(tr("invalidEmail"));
    }
    s.emit("transcript:email", payload, function (ack) {
      if (ack && ack.ok) {
        el.transcriptField.hidden = true;
        transcriptNote(tr("transcriptSent", { email: payload.email || state.emailKnown }));
      } else transcriptNote(tr(ack && ack.error && ack.error.code === "rate_limited" ? "transcriptLimited" : "error"));
    });
  }

  function transcriptNote(text) {
    el.transcriptNote.textContent = text;
    el.transcriptNote.hidden = false;
  }

  /* ---- a link from one of our mails: exchange it for the visitor's token and open that chat */
  function resume(link) {
    fetch("/api/widget/resume", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token: link })
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (!data || typeof data.token !== "string") return;
      if (data.token !== state.token) {
        if (state.socket && typeof state.socket !== "string") {
          state.socket.disconnect();
          state.socket = null;
        }
        state.conversation = null;
        clearMessages();
        state.token = data.token;
        store.write(data.token);
        state.loaded = false;
        connect();
      }
      show("chat", true);
    }, function () { /* an expired link leaves the widget as it was */ });
  }

  /* ---- messages from the loader */
  function onHostMessage(e) {
    if (!hostOrigin || e.origin !== hostOrigin || e.source !== window.parent) return;
    var d = e.data || {};
    if (d.source !== "support-widget") return;
    if (d.type === "open") {
      state.open = true;
      if (!state.socket) loadConfig();
      show(state.view, true);
    } else if (d.type === "close") {
      state.open = false;
      toHost({ type: "unread", count: state.unread });
    } else if (d.type === "identify") {
      ["name", "email", "hash"].forEach(function (k) { if (typeof d[k] === "string") state.identity[k] = d[k]; });
      var who = identityPayload(), s = state.socket;
      if (who && s && typeof s !== "string" && s.connected) s.emit("visitor:update", who, function () { /* best effort */ });
      renderComposer();
    } else if (d.type === "restore" && !state.token && typeof d.token === "string") {
      state.token = d.token;
      renderStatus();
      connect();
    } else if (d.type === "resume" && typeof d.token === "string") {
      resume(d.token.slice(0, 500));
    } else if (d.type === "page") {
      state.page = {};
      if (typeof d.url === "string") state.page.page_url = d.url.slice(0, 2000);
      if (typeof d.referrer === "string" && d.referrer) state.page.referrer = d.referrer.slice(0, 2000);
    }
  }

  /* ---- wiring */
  function init() {
    document.documentElement.lang = lang;
    document.documentElement.dir = window.SUPPORT_RTL.indexOf(lang) !== -1 ? "rtl" : "ltr";
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (n) { n.textContent = tr(n.getAttribute("data-i18n")); });
    Array.prototype.forEach.call(document.querySelectorAll("use[data-icon]"), function (u) { u.setAttribute("href", ICONS + "#" + u.getAttribute("data-icon")); });
    el.chatInput.placeholder = tr("placeholder");
    for (var i = 1; i <= 5; i++) {
      var b = node("button", null, String(i));
      b.type = "button";
      b.setAttribute("aria-label", tr("star", { n: i }));
      b.setAttribute("aria-pressed", "false");
      b.addEventListener("click", rate.bind(null, i));
      el.stars.appendChild(b);
    }
    el.startChat.addEventListener("click", function () { show("chat", true); });
    el.transcriptSend.addEventListener("click", emailTranscript);
    el.back.addEventListener("click", function () { show("home", true); });
    el.close.addEventListener("click", function () { toHost({ type: "close" }); });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") toHost({ type: "close" }); });
    el.composer.addEventListener("submit", submit);
    el.chatInput.addEventListener("input", onInput);
    el.chatInput.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        el.composer.requestSubmit();
      }
    });
    if (window.SupportAttachments) window.SupportAttachments.bind({ input: $("attach-input"), dropTarget: el.panel, pasteTarget: el.chatInput, onFiles: sendFiles });
    window.addEventListener("message", onHostMessage);
    window.addEventListener("storage", function (e) {
      if (e.key === KEY && e.newValue && !state.token) {
        state.token = e.newValue;
        renderStatus();
        connect();
      }
    });
    /* Without a socket (no visitor yet), availability comes from polling the config while open. */
    setInterval(function () { if (state.open && !state.socket) loadConfig(); }, 10000);
    state.token = store.read();
    el.panel.hidden = false;
    show("home", false);
    loadConfig().then(function () {
      renderStatus();
      connect();
      toHost({ type: "ready" });
    });
  }

  /* A handle for tests and debugging inside the frame only; the host page cannot reach it. */
  window.SupportFrame = { socket: function () { return state.socket; }, state: state };
  init();
})();
