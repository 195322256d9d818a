/* The open conversation: opening it (from the inbox, the address or a notification), its
 * header with the claim / transfer / close / reopen actions, resuming it after a reconnect,
 * and telling the server how far the agent has read. */
import { isStale } from "../shared/client/freshness.js";
import { $, hideAlert, showAlert, visitorName } from "./dom.js";
import { announceViewing, leaveConversation } from "./colleagues.js";
import { focusComposerIfOpen, renderComposer, resetComposer } from "./composer.js";
import { call, outbox } from "./connection.js";
import { renderContext } from "./context.js";
import { showPane } from "./layout.js";
import { currentItem, markCurrent, offlineMark, renderInbox, scheduleRefresh } from "./inbox.js";
import { updateTitle } from "./notifications.js";
import { isMine, mayManage, me, remember, root, state } from "./state.js";
import { addActivity, lastSeq, loadMessages, resetTimeline, syncOpen } from "./timeline.js";
import { renderTranscript, setVisitorTyping } from "./transcript.js";

const el = {
  placeholder: $("conv-placeholder"),
  pane: $("conv-pane"),
  title: $("conv-title"),
  verified: $("conv-verified"),
  status: $("conv-status"),
  assignee: $("conv-assignee"),
  claim: $("btn-claim"),
  transfer: $("transfer"),
  transferSelect: $("transfer-select"),
  transferNote: $("transfer-note"),
  transferBtn: $("btn-transfer"),
  close: $("btn-close"),
  reopen: $("btn-reopen"),
  back: $("btn-back"),
  offline: $("conv-offline"),
  replyByEmail: $("reply-by-email"),
};

/** Open a conversation the agent picked; the composer takes the focus, ready to answer. */
export function selectConversation(id) {
  if (location.hash !== `#c=${id}`) history.replaceState(null, "", `#c=${id}`);
  return openConversation(id).then(() => {
    if (state.openId === id) focusComposerIfOpen();
  });
}

/** "#c=<id>" in the address opens that conversation (links, reloads, past conversations). */
export function openFromHash() {
  const match = /^#c=([A-Za-z0-9_-]{1,64})$/.exec(location.hash);
  if (match) openConversation(match[1]);
}

export function openConversation(id) {
  if (state.openId !== id) {
    leaveConversation(state.openId);
    state.openId = id;
    state.conv = null;
    resetTimeline(id);
    state.lastReadSent = 0;
    resetComposer(id);
    setVisitorTyping(false);
  }
  markCurrent(id);
  return call("conversation:open", { conversation_id: id }).then((ack) => {
    if (state.openId !== id) return;
    if (!ack.ok) {
      showAlert(ack.error.message);
      return;
    }
    applyOpened(ack);
  });
}

function applyOpened(ack) {
  announceViewing(ack.conversation.id, true);
  showPane("conversation"); // phones show the conversation instead of the list
  state.conv = ack.conversation;
  state.visitor = ack.visitor;
  state.history = ack.history || [];
  remember(ack.conversation);
  loadMessages(ack.messages);
  (ack.activity || []).forEach(addActivity);
  el.placeholder.hidden = true;
  el.pane.hidden = false;
  hideAlert();
  renderHeader();
  renderTranscript(true);
  renderContext();
  markRead();
}

/** After a reconnect: rejoin the conversation's room, then fetch what was missed. */
export function resumeConversation(id) {
  call("conversation:open", { conversation_id: id })
    .then((ack) => {
      if (!ack.ok || state.openId !== id) return null;
      state.conv = ack.conversation;
      state.visitor = ack.visitor;
      state.history = ack.history || [];
      (ack.activity || []).forEach(addActivity);
      renderHeader();
      renderContext();
      return syncOpen();
    })
    .then((added) => {
      if (!added || state.openId !== id) return;
      renderTranscript();
      markRead();
      // Anything still pending may have been stored before the drop: the same client_id
      // returns the stored message instead of storing it twice.
      outbox.resend();
    });
}

/** Tell the server (and so the visitor) how far we have read, when the page is in view. */
export function markRead() {
  if (!state.openId || document.visibilityState !== "visible") return;
  const conv = state.known.get(state.openId);
  if (conv && conv.unread) {
    // the badge and the title clear at once
    conv.unread = 0;
    renderInbox();
    updateTitle();
  }
  const seq = lastSeq();
  if (seq <= state.lastReadSent) return;
  state.lastReadSent = seq;
  call("messages:read", { conversation_id: state.openId, seq }).then(scheduleRefresh);
}

export function renderHeader() {
  const conv = state.conv;
  if (!conv) return;
  el.title.textContent = visitorName(conv.visitor);
  el.verified.hidden = !conv.visitor.verified;
  el.status.textContent = conv.status === "open" ? "Open" : "Closed";
  el.status.className = `badge badge--${conv.status}`;
  el.assignee.textContent = conv.assignee
    ? `Assigned to ${isMine(conv) ? "you" : conv.assignee.name}`
    : conv.status === "open"
      ? "Waiting for an agent"
      : "Nobody was assigned";
  const open = conv.status === "open";
  const manage = mayManage(conv);
  el.claim.hidden = !(open && !conv.assignee);
  el.transfer.hidden = !(open && manage);
  el.close.hidden = !(open && manage);
  el.reopen.hidden = !(!open && manage);
  renderComposer();
  renderTransferOptions();
  renderOffline(conv);
}

/** The header's marker, and the composer's line saying an unread reply goes by email (the
 *  server mails what the visitor has not read after ``data-mail-delay`` seconds). */
function renderOffline(conv) {
  el.offline.replaceChildren(...(conv.offline ? [offlineMark(conv)] : []));
  el.offline.hidden = !conv.offline;
  const byEmail = conv.offline && conv.status === "open" && !!conv.visitor.email;
  el.replyByEmail.hidden = !byEmail;
  if (!byEmail) return;
  const seconds = Number(root.dataset.mailDelay) || 120;
  const delay =
    seconds % 60 ? `${seconds} seconds` : seconds === 60 ? "a minute" : `${seconds / 60} minutes`;
  el.replyByEmail.textContent =
    `If the visitor has not read your reply within ${delay}, ` +
    `it reaches them by email at ${conv.visitor.email}.`;
}

/** The agents online now, except the assignee, keeping the one already chosen. */
export function renderTransferOptions() {
  const conv = state.conv;
  const select = el.transferSelect;
  const chosen = select.value;
  const options = [new Option("Transfer to…", "")];
  state.agents.forEach((agent, id) => {
    if (agent.status !== "online") return;
    if (conv?.assignee && conv.assignee.id === id) return;
    options.push(new Option(id === me.id ? `${agent.name} (you)` : agent.name, id));
  });
  select.replaceChildren(...options);
  if (options.some((o) => o.value === chosen)) select.value = chosen;
  select.disabled = options.length < 2;
  el.transferBtn.disabled = !select.value;
}

/** One action on the open conversation; a refusal is shown and the conversation reloaded. */
function act(event, payload) {
  return call(event, payload).then((ack) => {
    if (!ack.ok) {
      showAlert(ack.error.message);
      if (state.openId) openConversation(state.openId);
      return null;
    }
    if (ack.conversation?.id === state.openId && !isStale(ack.conversation, state.conv)) {
      state.conv = ack.conversation;
      remember(ack.conversation);
      renderHeader();
    }
    scheduleRefresh();
    return ack;
  });
}

function transfer() {
  const target = el.transferSelect.value;
  if (!target) return;
  const note = el.transferNote.value.trim();
  const payload = { conversation_id: state.openId, agent_id: target };
  if (note) payload.note = note;
  act("conversation:transfer", payload).then(() => {
    el.transferSelect.value = "";
    el.transferBtn.disabled = true;
    el.transferNote.value = "";
    el.transferNote.hidden = true;
  });
}

/** Claim and close, as the keyboard shortcuts c and e do: only when the button is offered. */
export function claimIfOffered() {
  if (!el.claim.hidden) el.claim.click();
}

export function closeIfOffered() {
  if (!el.close.hidden) el.close.click();
}

export function initConversation() {
  el.claim.addEventListener("click", () => {
    act("conversation:claim", { conversation_id: state.openId });
  });
  el.close.addEventListener("click", () => {
    act("conversation:close", { conversation_id: state.openId });
  });
  el.reopen.addEventListener("click", () => {
    act("conversation:reopen", { conversation_id: state.openId });
  });
  el.transferSelect.addEventListener("change", () => {
    el.transferBtn.disabled = !el.transferSelect.value;
    el.transferNote.hidden = !el.transferSelect.value;
  });
  el.transferBtn.addEventListener("click", transfer);
  // Phones: back from the conversation to the list (the conversation stays open).
  el.back.addEventListener("click", () => {
    showPane("inbox");
    (currentItem() || $("inbox-search")).focus();
  });
  window.addEventListener("hashchange", openFromHash);
  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("focus", markRead);
}
