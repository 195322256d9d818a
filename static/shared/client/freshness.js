/* Which of two states of one conversation is newer.
 *
 * Answers can cross events: a `conversation:get` (or `conversation:open`) answered just before
 * an agent closed the conversation may arrive after the `conversation:updated` that closed it.
 * The server stamps every change of a conversation in `updated_at` (ISO 8601 UTC with
 * milliseconds, so the strings compare in time order): a state older than the one shown is
 * ignored instead of undoing it. Equal stamps are applied (a rating, a read mark). */

/** Whether `next` is an older state of the same conversation as `current`. */
export function isStale(next, current) {
  return !!(
    next &&
    current &&
    current.id === next.id &&
    next.updated_at &&
    current.updated_at &&
    next.updated_at < current.updated_at
  );
}
