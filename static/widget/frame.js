/* The widget frame: contact panel and live chat. Runs on this server's origin inside the
 * loader's iframe, so its socket is same-origin and its storage is apart from the host page.
 * This entry module wires the others: dom (elements), contact (the panel and config), status,
 * chat_view (messages), composer, visitor and connection (the socket, with the shared client
 * core in static/shared/client/ for acks, the unsent queue and resync). Nothing talks to the
 * server before the visitor acts, except the config; socket.io is fetched once there is a
 * visitor. */

import { applyConfig, fetchConfig, loadConfig } from "./contact.js";
import { initComposer } from "./composer.js";
import { connect, resume } from "./connection.js";
import { ICONS, el } from "./dom.js";
import { fromHost, toHost } from "./host.js";
import { dir, lang, loadLanguage, tr } from "./i18n.js";
import { KEY, identityPayload, readToken } from "./visitor.js";
import { addMessage, renderPending, setConversation, show } from "./chat_view.js";
import { liveSocket, state } from "./state.js";
import { renderComposer, renderStatus } from "./status.js";

function takeToken(token) {
  state.token = token;
  renderStatus();
  connect();
}

/* ---- messages from the loader */
function onHostMessage(e) {
  if (!fromHost(e)) return;
  const d = e.data;
  if (d.type === "open") {
    state.open = true;
    if (!state.socket) loadConfig();
    show(state.view, true);
  } else if (d.type === "close") {
    state.open = false;
    toHost({ type: "unread", count: state.unread });
  } else if (d.type === "identify") {
    for (const k of ["name", "email", "hash"])
      if (typeof d[k] === "string") state.identity[k] = d[k];
    const who = identityPayload();
    const s = liveSocket();
    if (who && s) s.emit("visitor:update", who, () => {});
    renderComposer();
  } else if (d.type === "restore" && !state.token && typeof d.token === "string") {
    takeToken(d.token);
  } else if (d.type === "resume" && typeof d.token === "string") {
    resume(d.token.slice(0, 500));
  } else if (d.type === "page") {
    state.page = {};
    if (typeof d.url === "string") state.page.page_url = d.url.slice(0, 2000);
    if (typeof d.referrer === "string" && d.referrer)
      state.page.referrer = d.referrer.slice(0, 2000);
  }
}

function translate() {
  document.documentElement.lang = lang;
  document.documentElement.dir = dir;
  for (const n of document.querySelectorAll("[data-i18n]"))
    n.textContent = tr(n.getAttribute("data-i18n"));
  for (const u of document.querySelectorAll("use[data-icon]")) {
    u.setAttribute("href", `${ICONS}#${u.getAttribute("data-icon")}`);
  }
}

function init() {
  translate();
  state.outbox.onChange = renderPending;
  state.outbox.onAck = (item, ack) => {
    setConversation(ack.conversation);
    addMessage(ack.message, true, item);
  };
  initComposer();
  el.startChat.addEventListener("click", () => show("chat", true));
  el.back.addEventListener("click", () => show("home", true));
  el.close.addEventListener("click", () => toHost({ type: "close" }));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") toHost({ type: "close" });
  });
  window.addEventListener("message", onHostMessage);
  window.addEventListener("storage", (e) => {
    if (e.key === KEY && e.newValue && !state.token) takeToken(e.newValue);
  });
  /* Without a socket (no visitor yet), availability comes from polling the config while open. */
  setInterval(() => {
    if (state.open && !state.socket) loadConfig();
  }, 10000);
  state.token = readToken();
  el.panel.hidden = false;
  show("home", false);
}

/* A handle for tests and debugging inside the frame only; the host page cannot reach it. */
window.SupportFrame = { socket: () => state.socket, state, outbox: state.outbox };

const config = fetchConfig(); // while the visitor's language loads
loadLanguage()
  .then(() => {
    init();
    return config;
  })
  .then((c) => {
    applyConfig(c);
    renderStatus();
    connect();
    toHost({ type: "ready" });
  });
