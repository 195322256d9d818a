/* Canned responses: typing "/" and a shortcut in the composer offers the matching ones. */
import { $, h } from "./dom.js";
import { call } from "./connection.js";
import { state } from "./state.js";

const el = { input: $("reply-input"), menu: $("canned-menu") };

/** Fetch this team's canned responses (once per page). */
export function loadCanned() {
  call("canned:list", {}).then((ack) => {
    if (ack.ok) state.canned = ack.responses;
  });
}

export function cannedOpen() {
  return !el.menu.hidden;
}

function cannedMatches() {
  const match = /^\/([a-z0-9_-]*)$/i.exec(el.input.value);
  if (!match) return [];
  const prefix = match[1].toLowerCase();
  return state.canned.filter((r) => r.shortcut.startsWith(prefix)).slice(0, 8);
}

/** Show, update or hide the menu after the composer's text changed. */
export function updateCanned() {
  const matches = cannedMatches();
  if (!matches.length && /^\/[a-z0-9_-]*$/i.test(el.input.value)) {
    showNoCanned();
    return;
  }
  if (!matches.length) {
    hideCanned();
    return;
  }
  state.cannedIndex = Math.min(state.cannedIndex, matches.length - 1);
  el.menu.replaceChildren(...matches.map(cannedOption));
  el.menu.hidden = false;
}

function cannedOption(response, index) {
  const li = h("li", "canned-option");
  li.setAttribute("role", "option");
  li.setAttribute("aria-selected", index === state.cannedIndex ? "true" : "false");
  li.dataset.testid = "canned-option";
  li.append(
    h("span", "canned-shortcut", `/${response.shortcut}`),
    h("span", "canned-title", response.title),
  );
  li.addEventListener("mousedown", (event) => {
    event.preventDefault();
    insertCanned(response);
  });
  return li;
}

/** "/" with nothing to offer says so, instead of silently doing nothing. */
function showNoCanned() {
  const text = state.canned.length
    ? `No canned response starts with ${el.input.value}`
    : "No canned responses yet. Admins add them under Admin › Canned responses.";
  const li = h("li", "canned-option canned-option--empty", text);
  li.setAttribute("role", "option");
  li.setAttribute("aria-disabled", "true");
  li.dataset.testid = "canned-empty";
  el.menu.replaceChildren(li);
  el.menu.hidden = false;
}

export function hideCanned() {
  el.menu.hidden = true;
  state.cannedIndex = 0;
}

function insertCanned(response) {
  el.input.value = response.body;
  hideCanned();
  el.input.focus();
  el.input.setSelectionRange(el.input.value.length, el.input.value.length);
}

/** Arrow keys move through the menu; Enter or Tab inserts; Escape closes. True if handled. */
export function cannedKey(event) {
  const matches = cannedMatches();
  if (!matches.length) return false;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    const step = event.key === "ArrowDown" ? 1 : -1;
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
