/* Colleagues on the same conversation: who is viewing it, who is typing in it. Each
 * dashboard repeats "viewing" while it shows a conversation; silence means they left. */
import { $ } from "./dom.js";
import { call, socket } from "./connection.js";
import { me, state } from "./state.js";

const VIEWING_EVERY = 20000; // the dashboard repeats "viewing" this often while it shows one

const el = { collision: $("conv-collision") };
const viewers = new Map(); // agent_id -> {name, typing, seen}

/** A colleague is on the open conversation (``change`` null: left it). */
export function colleagueSeen(agentId, name, change) {
  if (!agentId || agentId === me.id) return;
  if (change === null) viewers.delete(agentId);
  else {
    const viewer = viewers.get(agentId) || { typing: false };
    viewer.name = name;
    viewer.seen = Date.now();
    if (change.typing !== undefined) viewer.typing = change.typing;
    viewers.set(agentId, viewer);
  }
  renderColleagues();
}

/** The server's `viewing` event; whoever just arrived learns at once that we are here too
 * (not at our next repeat). */
export function viewingChanged(data) {
  if (data.conversation_id !== state.openId || data.agent_id === me.id) return;
  const newcomer = data.viewing && !viewers.has(data.agent_id);
  colleagueSeen(data.agent_id, data.name, data.viewing ? {} : null);
  if (newcomer) announceViewing(state.openId, true);
}

/** Leaving a conversation: say so, and forget who was on it. */
export function leaveConversation(conversationId) {
  announceViewing(conversationId, false);
  viewers.clear();
  renderColleagues();
}

function renderColleagues() {
  const now = Date.now();
  const typing = [];
  const viewing = [];
  viewers.forEach((viewer, id) => {
    if (now - viewer.seen > VIEWING_EVERY * 2.5) {
      viewers.delete(id);
      return;
    }
    (viewer.typing ? typing : viewing).push(viewer.name);
  });
  const parts = [];
  if (typing.length)
    parts.push(`${typing.join(", ")}${typing.length > 1 ? " are" : " is"} typing…`);
  if (viewing.length)
    parts.push(`${viewing.join(", ")}${viewing.length > 1 ? " are" : " is"} viewing`);
  el.collision.textContent = parts.join(" · ");
  el.collision.hidden = !parts.length;
}

export function announceViewing(conversationId, viewing) {
  if (conversationId && socket.connected) {
    call("conversation:viewing", { conversation_id: conversationId, viewing });
  }
}

export function initColleagues() {
  setInterval(() => {
    if (document.visibilityState === "visible") announceViewing(state.openId, true);
    renderColleagues();
  }, VIEWING_EVERY);
  window.addEventListener("pagehide", () => announceViewing(state.openId, false));
}
