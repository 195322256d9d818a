/* The open conversation's messages and activity lines, deduplicated by id. */
import { me, state } from "./state.js";

/** Store one message of the open conversation; our own echo replaces its pending copy. */
export function addMessage(message) {
  if (message.conversation_id !== state.openId) return;
  state.messages.set(message.id, message);
  if (message.sender.type === "agent" && message.sender.id === me.id && message.client_id) {
    state.pending.delete(message.client_id);
  }
}

export function addActivity(line) {
  if (line.conversation_id === state.openId) state.activity.set(line.id, line);
}

/** The highest seq held: `sync` asks for what came after it. */
export function lastSeq() {
  let seq = 0;
  state.messages.forEach((m) => {
    if (m.seq > seq) seq = m.seq;
  });
  return seq;
}

/** Stored messages in seq order. */
export function storedSorted() {
  return Array.from(state.messages.values()).sort((a, b) => a.seq - b.seq);
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
