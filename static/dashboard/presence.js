/* The agent's own presence (online / away) in the top bar, and every agent's, which the
 * transfer list offers. */
import { $ } from "./dom.js";
import { call } from "./connection.js";
import { me, state } from "./state.js";

const el = { presence: $("presence-switch") };

/** Every agent's presence from the server; resolves once ``state.agents`` is refilled. */
export function loadPresence() {
  return call("presence:list", {}).then((ack) => {
    if (!ack.ok) return;
    state.agents = new Map();
    ack.agents.forEach((a) => state.agents.set(a.agent_id, { name: a.name, status: a.status }));
    renderPresence(state.agents.get(me.id)?.status || "online");
  });
}

/** One agent's presence changed (the server's `presence` event). */
export function presenceChanged(data) {
  state.agents.set(data.agent_id, { name: data.name, status: data.status });
  if (data.agent_id === me.id) renderPresence(data.status);
}

function renderPresence(status) {
  state.myStatus = status;
  if (!el.presence) return;
  el.presence.hidden = false;
  el.presence.querySelectorAll("[data-status]").forEach((button) => {
    button.setAttribute("aria-pressed", button.dataset.status === status ? "true" : "false");
  });
}

export function initPresence() {
  el.presence?.querySelectorAll("[data-status]").forEach((button) => {
    button.addEventListener("click", () => {
      const status = button.dataset.status;
      call("presence:set", { status }).then((ack) => {
        if (ack.ok) renderPresence(status);
      });
    });
  });
}
