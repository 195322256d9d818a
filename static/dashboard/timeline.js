/* The open conversation's messages (the shared core's Timeline: once each, in seq order, with
 * gaps filled by `sync`) and its activity lines. */
import { Timeline, fillGaps, receive, resync } from "../shared/client/index.js";
import { outbox, socket } from "./connection.js";
import { me, state } from "./state.js";

const timeline = new Timeline();

const isOwn = (message) => message.sender.type === "agent" && message.sender.id === me.id;

/** Another conversation was opened: forget the last one's messages and activity. */
export function resetTimeline(conversationId) {
  timeline.reset(conversationId);
  state.activity = new Map();
}

/** The full load of `conversation:open`: every message there is. */
export function loadMessages(messages) {
  timeline.addExact(messages);
  confirmOwn(messages);
}

/** One message of the open conversation (live, or an ack); our own echo replaces its pending
 * copy. Resolves to true when a gap before it was filled (the transcript needs redrawing). */
export function addMessage(message) {
  if (message.conversation_id !== state.openId) return Promise.resolve(false);
  const { gap } = receive(timeline, outbox, message, isOwn);
  if (!gap) return Promise.resolve(false);
  return fillGaps(socket, timeline, { conversation_id: timeline.conversationId }).then((answer) => {
    if (!answer.ok) return false;
    confirmOwn(answer.added);
    return answer.added.length > 0;
  });
}

/** Fetch what the open conversation's timeline misses (after a reconnect, or a gap);
 * resolves to the messages added, or null when the server did not answer. */
export function syncOpen() {
  return resync(socket, timeline, { conversation_id: timeline.conversationId }).then((answer) => {
    if (!answer.ok) return null;
    confirmOwn(answer.added);
    return answer.added;
  });
}

/** A load or a sync showed our own messages stored: their pending copies go. */
function confirmOwn(messages) {
  messages.forEach((m) => {
    if (isOwn(m) && m.client_id) outbox.confirm(m.client_id);
  });
}

export function addActivity(line) {
  if (line.conversation_id === state.openId) state.activity.set(line.id, line);
}

/** The highest seq held (how far the agent has read, once shown). */
export function lastSeq() {
  return timeline.lastSeq;
}

/** Stored messages in seq order. */
export function storedSorted() {
  return timeline.messages();
}

/** Own messages of the open conversation not stored yet (sending, or failed). */
export function unsent() {
  return outbox.items((p) => p.conversation_id === state.openId);
}

/** Messages in seq order with the conversation's activity lines between them, by time. */
export function withActivity(stored) {
  const lines = Array.from(state.activity.values()).sort((a, b) => a.id - b.id);
  const merged = [];
  stored.forEach((m) => {
    while (lines.length && lines[0].created_at <= m.created_at) merged.push(lines.shift());
    merged.push(m);
  });
  return merged.concat(lines);
}
