/* What the panel says about the chat: online or away, the start button's label and unread
 * count, the pre-chat fields the composer asks for, the chat's title. */

import { el } from "./dom.js";
import { toHost } from "./host.js";
import { tr } from "./i18n.js";
import { state } from "./state.js";

export function renderStatus() {
  const hasChat = !!(state.conversation || state.token);
  el.startLabel.textContent = hasChat ? tr("resume") : tr("start");
  if (state.unread && hasChat) el.startLabel.textContent += ` (${state.unread})`;
  el.statusText.textContent = state.online ? tr("online") : tr("offline");
  el.statusDot.classList.toggle("on", state.online);
  renderComposer();
}

export function setUnread(n) {
  state.unread = n;
  renderStatus();
  toHost({ type: "unread", count: n });
}

/** Pre-chat fields as the admin set them: {name, label, required} (a bare name is required). */
function prechat() {
  const out = {};
  const raw = (state.config && state.config.chat && state.config.chat.prechat_fields) || [];
  for (const f of raw) {
    const spec = typeof f === "string" ? { name: f, required: true } : f || {};
    if (spec.name === "name" || spec.name === "email") out[spec.name] = spec;
  }
  return out;
}

export function renderComposer() {
  const fields = prechat();
  const fresh = !state.token;
  const needEmail = !state.online && !state.emailKnown;
  const chat = (state.config && state.config.chat) || {};
  el.offlineNote.hidden = state.online;
  el.offlineNote.textContent = chat.offline_message || "";
  el.fieldName.hidden = !(fresh && fields.name && !state.identity.name);
  el.fieldEmail.hidden = !((fresh && fields.email && !state.identity.email) || needEmail);
  el.prechat.hidden = el.fieldName.hidden && el.fieldEmail.hidden;
  state.required = {
    name: !!(fields.name && fields.name.required),
    email: needEmail || !!(fields.email && fields.email.required),
  };
  el.visitorName.required = state.required.name;
  el.visitorEmail.required = state.required.email;
  el.fieldName.querySelector("label").textContent =
    (fields.name && fields.name.label) || tr("name");
  el.fieldEmail.querySelector("label").textContent =
    fields.email && fields.email.label && !needEmail ? fields.email.label : tr("yourEmail");
  const assignee = state.conversation && state.conversation.assignee;
  el.chatTitle.textContent = assignee
    ? tr("chattingWith", { name: assignee.name })
    : tr("teamTitle");
}
