/* The visitor's details column: who they are, where they are, their past conversations. */
import { $, avatar, fullTime, h, localTime, visitorName } from "./dom.js";
import { currentPane, showPane } from "./layout.js";
import { state } from "./state.js";

const el = {
  ctx: $("ctx"),
  empty: $("ctx-empty"),
  avatar: $("ctx-avatar"),
  name: $("ctx-name"),
  email: $("ctx-email"),
  list: $("ctx-list"),
  history: $("ctx-history"),
  details: $("btn-details"),
  close: $("ctx-close"),
};

export function renderContext() {
  const visitor = state.visitor;
  if (!visitor) return;
  el.empty.hidden = true;
  el.ctx.hidden = false;
  avatar(el.avatar, visitor);
  el.name.textContent = visitorName(visitor);
  el.email.textContent = visitor.email || "No email given";
  el.list.replaceChildren(...detailRows(visitor));
  const past = state.history.map(historyItem);
  if (!past.length) past.push(h("li", "history-none", "None"));
  el.history.replaceChildren(...past);
}

function detailRows(visitor) {
  const rows = [
    ["Email", visitor.email, visitor.verified ? "verified" : null],
    ["Current page", visitor.page_url, "link"],
    ["Referrer", visitor.referrer, "link"],
    ["Browser", visitor.browser],
    ["System", visitor.os],
    ["Language", visitor.locale],
    ["Local time", localTime(visitor.timezone)],
    ["First seen", fullTime(visitor.first_seen_at)],
  ];
  const nodes = [];
  rows.forEach(([label, value, kind]) => {
    if (!value) return;
    const dd = h("dd");
    if (kind === "link" && /^https?:\/\//i.test(value)) {
      const a = h("a", null, value);
      a.href = value;
      a.target = "_blank";
      a.rel = "noopener noreferrer nofollow";
      dd.append(a);
    } else {
      dd.textContent = value;
      if (kind === "verified") dd.append(" ", h("span", "verified verified--small", "Verified"));
    }
    nodes.push(h("dt", null, label), dd);
  });
  return nodes;
}

function historyItem(conv) {
  const li = h("li");
  const a = h("a", "history-link");
  a.href = `#c=${conv.id}`;
  if (conv.id === state.openId) a.setAttribute("aria-current", "true");
  a.append(
    h("span", "history-date", fullTime(conv.created_at)),
    h("span", `badge badge--${conv.status}`, conv.status === "open" ? "Open" : "Closed"),
    h("span", "history-preview", conv.preview || "No messages"),
  );
  li.append(a);
  return li;
}

/** Narrow screens hide the details column; the Details button opens it over the page. */
function showDetails(open) {
  showPane(open ? "details" : "conversation");
  (open ? el.close : el.details).focus();
}

export function initContext() {
  el.details.addEventListener("click", () => {
    showDetails(currentPane() !== "details");
  });
  el.close.addEventListener("click", () => showDetails(false));
}
