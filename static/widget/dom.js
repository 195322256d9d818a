/* The frame page's elements and the small builders the views share. Visitor and agent text is
 * only ever set with textContent; links are built as elements (never innerHTML). */

const script = document.querySelector("script[data-icons]");
export const ICONS = script.getAttribute("data-icons");
export const SOCKETIO = script.getAttribute("data-socketio");

const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;

export const $ = (id) => document.getElementById(id);

/** Every element the frame drives, by camelCase id ("chat-input" -> el.chatInput). */
export const el = {};
for (const id of [
  "panel",
  "back",
  "close",
  "brand-name",
  "brand-tagline",
  "chat-title",
  "home",
  "intro",
  "phone-item",
  "phone",
  "phone-text",
  "email-item",
  "email",
  "email-text",
  "socials",
  "hours",
  "hours-list",
  "start-chat",
  "start-label",
  "status-dot",
  "status-text",
  "chat",
  "log",
  "greeting",
  "greeting-text",
  "messages",
  "ended",
  "stars",
  "rated",
  "typing",
  "connection",
  "composer",
  "offline-note",
  "prechat",
  "field-name",
  "field-email",
  "visitor-name",
  "visitor-email",
  "form-error",
  "chat-input",
  "chat-send",
  "sent-note",
  "transcript-field",
  "transcript-address",
  "transcript-send",
  "transcript-note",
  "queue",
  "attach-input",
  "attach-progress",
]) {
  el[id.replace(/-(\w)/g, (m, c) => c.toUpperCase())] = $(id);
}

export function node(tag, cls, text) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text != null) n.textContent = text;
  return n;
}

export function svgIcon(name) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  const use = document.createElementNS(ns, "use");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  use.setAttribute("href", `${ICONS}#${name}`);
  svg.appendChild(use);
  return svg;
}

/** An http(s) URL as a string, or null for anything else (javascript:, data:, garbage). */
export function safeUrl(raw) {
  try {
    const u = new URL(raw);
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
  } catch {
    return null;
  }
}

/** A link that opens apart from the widget. */
export function outLink(href, text) {
  const a = node("a", null, text);
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  return a;
}

/** Text with http(s) URLs made into links. */
export function linkify(text) {
  const frag = document.createDocumentFragment();
  let last = 0;
  let m;
  URL_RE.lastIndex = 0;
  while ((m = URL_RE.exec(text))) {
    const url = m[0].replace(/[.,;:!?)\]}'"]+$/, "");
    const href = safeUrl(url);
    if (!href) continue;
    frag.append(text.slice(last, m.index), outLink(href, url));
    last = m.index + url.length;
    URL_RE.lastIndex = last;
  }
  frag.append(text.slice(last));
  return frag;
}
