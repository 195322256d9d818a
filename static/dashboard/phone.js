/* Phones and narrow windows: which column of the dashboard is shown.
 *
 * Below 900 px the dashboard shows one column at a time. This module keeps the layout root's
 * data-pane ("inbox", "conversation" or "details") in step with what the agent does, and the
 * style sheet shows only that column (between 900 and 1100 px, "details" opens the visitor's
 * details over the conversation). It watches the page, not the dashboard's other modules: a click
 * on an inbox item or a past conversation, the address's #c= fragment, the back buttons and the
 * Details button. Its click listener sits on the document, so it runs after the buttons' own
 * listeners and has the last word on aria-expanded and on where the focus goes. */

const OPEN_CONVERSATION = /^#c=[A-Za-z0-9_-]{1,64}$/;

const root = document.getElementById("dashboard");
const detailsButton = document.getElementById("btn-details");
const detailsBack = document.getElementById("ctx-close");

/** Show one pane; the Details button says whether the details are open. */
function show(pane) {
  root.dataset.pane = pane;
  detailsButton.setAttribute("aria-expanded", pane === "details" ? "true" : "false");
}

/** Back to the inbox, with the focus on the conversation the agent came from. */
function showInbox() {
  show("inbox");
  const current =
    document.querySelector('#inbox-list [aria-current="true"]') ||
    document.querySelector("#inbox-list [data-conversation-id]") ||
    document.getElementById("inbox-search");
  current.focus();
}

function toggleDetails() {
  const open = root.dataset.pane !== "details";
  show(open ? "details" : "conversation");
  (open ? detailsBack : detailsButton).focus();
}

function onClick(event) {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  if (target.closest("#inbox-list [data-conversation-id]")) show("conversation");
  else if (target.closest("#btn-back")) showInbox();
  else if (target.closest("#btn-details")) toggleDetails();
  else if (target.closest("#ctx-close")) {
    show("conversation");
    detailsButton.focus();
  }
}

function onHashChange() {
  if (OPEN_CONVERSATION.test(location.hash)) show("conversation");
}

if (root) {
  document.addEventListener("click", onClick);
  window.addEventListener("hashchange", onHashChange);
  show(OPEN_CONVERSATION.test(location.hash) ? "conversation" : "inbox");
}
