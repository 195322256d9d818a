/* Keyboard shortcuts (not while typing in a field); "?" lists them. */
import { $ } from "./dom.js";
import { claimIfOffered, closeIfOffered, openConversation } from "./conversation.js";
import { focusComposer } from "./composer.js";
import { focusSearch, listedItems } from "./inbox.js";
import { state } from "./state.js";

const el = { dialog: $("shortcuts"), input: $("reply-input"), search: $("inbox-search") };

const SHORTCUTS = {
  j: () => stepConversation(1),
  k: () => stepConversation(-1),
  c: claimIfOffered,
  e: closeIfOffered,
  r: focusComposer,
  "/": focusSearch,
  "?": () => el.dialog.showModal(),
};

function typingInAField(target) {
  return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

/** Open the next (or previous) conversation of the list shown. */
function stepConversation(step) {
  const items = listedItems();
  if (!items.length) return;
  const at = items.findIndex((node) => node.dataset.conversationId === state.openId);
  const index =
    at < 0 ? (step > 0 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, at + step));
  const next = items[index];
  next.focus();
  const id = next.dataset.conversationId;
  if (location.hash !== `#c=${id}`) history.replaceState(null, "", `#c=${id}`);
  openConversation(id);
}

function onKeydown(event) {
  if (event.key === "Escape" && (event.target === el.input || event.target === el.search)) {
    event.target.blur();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || typingInAField(event.target)) return;
  if (el.dialog.open) return;
  const action = SHORTCUTS[event.key];
  if (!action) return;
  event.preventDefault();
  action();
}

export function initShortcuts() {
  document.addEventListener("keydown", onKeydown);
}
