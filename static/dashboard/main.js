/* The agents' dashboard: inbox, conversation and visitor context over the /agent namespace.
 *
 * Plain DOM code in ES modules, no framework and no build step; this entry wires the
 * modules together in the order the page needs them. */
import { openSocket } from "./connection.js";
import { initColleagues } from "./colleagues.js";
import { initComposer } from "./composer.js";
import { initContext } from "./context.js";
import { initConversation, selectConversation } from "./conversation.js";
import { listen } from "./events.js";
import { initInbox } from "./inbox.js";
import { initNotifications } from "./notifications.js";
import { initPresence } from "./presence.js";
import { initShortcuts } from "./shortcuts.js";
import { root } from "./state.js";

if (root) {
  openSocket();
  listen();
  initInbox(selectConversation);
  initConversation();
  initComposer();
  initContext();
  initPresence();
  initColleagues();
  initShortcuts();
  initNotifications(selectConversation);
}
