/* Drafts and the last view, kept per agent in this browser (across switching and reloads).
 * Storage may be full or denied: both are conveniences, so a failure is ignored. */
import { me } from "./state.js";

const prefix = `support-dashboard:${me.id}:`;

function store(kind) {
  try {
    return kind === "session" ? window.sessionStorage : window.localStorage;
  } catch {
    return null;
  }
}

function get(kind, key) {
  try {
    return store(kind)?.getItem(prefix + key) || "";
  } catch {
    return "";
  }
}

function put(kind, key, value) {
  try {
    const s = store(kind);
    if (!s) return;
    if (value) s.setItem(prefix + key, value);
    else s.removeItem(prefix + key);
  } catch {
    /* storage full or denied: drafts are a convenience */
  }
}

export const drafts = {
  load: (conversationId) => get("local", `draft:${conversationId}`),
  save: (conversationId, text) => put("local", `draft:${conversationId}`, text.trim() ? text : ""),
  savedView: () => get("session", "view"),
  rememberView: (view) => put("session", "view", view),
};
