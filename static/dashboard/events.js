/* What the server pushes on the /agent socket, and what each event changes. Events are
 * hints: after a reconnect the inbox is listed again and the open conversation synced. */
import { FAILED, PENDING, isStale } from "../shared/client/index.js";
import { hideBanner, onOutbox, outbox, showBanner, socket } from "./connection.js";
import { colleagueSeen, viewingChanged } from "./colleagues.js";
import { loadCanned } from "./canned.js";
import {
  markRead,
  openFromHash,
  renderHeader,
  renderTransferOptions,
  resumeConversation,
} from "./conversation.js";
import { renderContext } from "./context.js";
import { visitorName } from "./dom.js";
import { countUnread, refreshInbox, renderInbox, scheduleRefresh } from "./inbox.js";
import { attention, updateTitle } from "./notifications.js";
import { loadPresence, presenceChanged } from "./presence.js";
import { handedToMe, isMine, remember, state } from "./state.js";
import { addActivity, addMessage } from "./timeline.js";
import { renderTranscript, setVisitorTyping } from "./transcript.js";

function connected() {
  hideBanner();
  const first = !state.connectedOnce;
  state.connectedOnce = true;
  refreshInbox();
  loadPresence().then(renderTransferOptions);
  if (first) {
    loadCanned();
    openFromHash();
  } else if (state.openId) {
    resumeConversation(state.openId);
  }
  // Replies written or left unanswered while the connection was down go out again with the
  // same client_id (the open conversation's after its resync, in resumeConversation); the
  // server stores each once.
  outbox.resend((p) => p.conversation_id !== state.openId);
}

function disconnected(reason) {
  showBanner("Reconnecting…", false);
  renderTranscript(); // own messages now say they wait for the connection
  // The server ended the connection (signed out, deactivated): try once; a refusal shows sign-in.
  if (reason === "io server disconnect") setTimeout(() => socket.connect(), 1000);
}

function connectFailed(err) {
  if (err?.data?.code === "unauthorized") showBanner("You are signed out.", true);
  else showBanner("Reconnecting…", false);
}

function conversationNew(conv) {
  remember(conv);
  if (conv.status === "open" && (!conv.assignee || isMine(conv))) {
    // Its first message follows as message:new; one notification is enough.
    state.announcedNew.add(conv.id);
    attention("New conversation", `${visitorName(conv.visitor)}: ${conv.preview || ""}`, conv.id);
  }
  scheduleRefresh();
}

function conversationUpdated(conv) {
  const before = state.known.get(conv.id);
  remember(conv);
  if (handedToMe(before, conv)) {
    attention("Assigned to you", `${visitorName(conv.visitor)}: ${conv.preview || ""}`, conv.id);
  }
  const inHistory = state.history.some((past, i) => {
    if (past.id === conv.id) state.history[i] = conv;
    return past.id === conv.id;
  });
  if (conv.id === state.openId && !isStale(conv, state.conv)) {
    state.conv = conv;
    renderHeader();
    renderTranscript();
  }
  if (inHistory) renderContext();
  scheduleRefresh();
}

function messageNew(message) {
  const conv = state.known.get(message.conversation_id);
  countUnread(message, conv);
  if (message.conversation_id === state.openId) {
    addMessage(message).then((filled) => {
      if (filled) showNewMessages(message.conversation_id);
    });
    renderTranscript();
    markRead();
  }
  const announced = state.announcedNew.delete(message.conversation_id);
  if (
    message.sender.type === "visitor" &&
    !announced &&
    (!conv || !conv.assignee || isMine(conv))
  ) {
    const looking = message.conversation_id === state.openId && document.hasFocus();
    if (!looking) {
      const who = conv ? visitorName(conv.visitor) : message.sender.name || "Visitor";
      attention(`New message from ${who}`, message.body, message.conversation_id);
    }
  }
  scheduleRefresh();
}

function typing(data) {
  if (data.conversation_id !== state.openId) return;
  if (data.from === "agent") colleagueSeen(data.agent_id, data.name, { typing: !!data.typing });
  else if (data.from === "visitor") setVisitorTyping(!!data.typing);
}

function messagesRead(data) {
  if (data.conversation_id !== state.openId || !state.conv || data.by !== "visitor") return;
  state.conv.visitor_read_seq = Math.max(state.conv.visitor_read_seq || 0, data.seq);
  renderTranscript();
}

function presence(data) {
  presenceChanged(data);
  renderTransferOptions();
}

/** This agent read a conversation (in this tab or another): its own badge follows. */
function inboxRead(data) {
  const conv = state.known.get(data.conversation_id);
  if (!conv) return;
  conv.unread = data.unread;
  renderInbox();
  updateTitle();
}

function activity(line) {
  if (line.conversation_id !== state.openId) return;
  addActivity(line);
  renderTranscript();
}

/** Messages a `sync` filled a gap with: shown, and read. */
function showNewMessages(conversationId) {
  if (conversationId !== state.openId) return;
  renderTranscript();
  markRead();
}

/** Own messages redraw as they start sending and when they fail; once stored (the server's
 * answer, an echo or a sync) the stored message takes the pending copy's place. */
function outboxChanged(p) {
  if (p.status === PENDING) renderTranscript();
  else if (p.status === FAILED && p.conversation_id === state.openId) renderTranscript(true);
}

function ownMessageStored(p, message) {
  addMessage(message).then((filled) => {
    if (filled) showNewMessages(message.conversation_id);
  });
  if (p.conversation_id === state.openId) renderTranscript(true);
}

const HANDLERS = {
  connect: connected,
  disconnect: disconnected,
  connect_error: connectFailed,
  "conversation:new": conversationNew,
  "conversation:updated": conversationUpdated,
  "message:new": messageNew,
  typing,
  viewing: viewingChanged,
  "messages:read": messagesRead,
  presence,
  "inbox:read": inboxRead,
  activity,
};

export function listen() {
  Object.entries(HANDLERS).forEach(([event, handler]) => socket.on(event, handler));
  onOutbox(outboxChanged, ownMessageStored);
}
