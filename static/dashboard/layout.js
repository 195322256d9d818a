/* Which column of the dashboard is shown on phones and narrow windows.
 *
 * Below 900 px the dashboard shows one column at a time. The layout root's data-pane
 * ("inbox", "conversation" or "details") says which, and the style sheet shows only that
 * column (between 900 and 1100 px, "details" opens the visitor's details over the
 * conversation). Opening a conversation (by click, address, notification or shortcut), the
 * back buttons and the Details button all go through showPane, so the pane always follows what
 * the agent did. */

import { root } from "./state.js";

const detailsButton = document.getElementById("btn-details");

/** Show one pane; the Details button says whether the details are open. */
export function showPane(pane) {
  root.dataset.pane = pane;
  detailsButton.setAttribute("aria-expanded", pane === "details" ? "true" : "false");
}

export function currentPane() {
  return root.dataset.pane || "inbox";
}
