/* A bridge for the dashboard while dashboard.js is still a classic script: attachments.js's
 * named exports as window.SupportAttachments. Remove it (and its <script> in
 * templates/dashboard/index.html) once the dashboard imports attachments.js as a module. */
import * as attachments from "./attachments.js";

window.SupportAttachments = attachments;
