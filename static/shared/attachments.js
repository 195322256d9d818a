/* Attachments in the browser, shared by the widget frame and the dashboard: upload with a
 * progress bar, pick / drop / paste files (attachment_picker.js, re-exported here), and show a
 * message's files (images as thumbnails that open full size, other files as downloads with
 * their name and size). Named exports: upload, render, bind, progress, humanSize.
 * The widget imports attachment_picker.js up front and this module only once a file is picked
 * or shown: a visitor who never meets a file never downloads it. */

import { loadLimits } from "./attachment_picker.js";

export { bind } from "./attachment_picker.js";

export function humanSize(bytes) {
  if (bytes < 1024) return bytes + " B";
  if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(bytes < 10240 ? 1 : 0) + " KB";
  return (bytes / 1024 / 1024).toFixed(1) + " MB";
}

function failure(kind) {
  const error = new Error(kind);
  error.kind = kind;
  return error;
}

const FAILURES = { 413: "tooBig", 400: "notAllowed", 429: "rateLimited" };

/** POST one file as the multipart field "file"; resolves with the attachment object.
 * Rejects with an Error whose .kind is tooBig, notAllowed, rateLimited or failed. */
export async function upload(url, headers, file, onProgress) {
  const info = await loadLimits();
  const tooBig = !!info.max_bytes && file.size > info.max_bytes;
  if (tooBig) throw failure("tooBig");
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    for (const [k, v] of Object.entries(headers || {})) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status === 201 && data && data.attachment) resolve(data.attachment);
      else reject(failure(FAILURES[xhr.status] || "failed"));
    };
    xhr.onerror = () => reject(failure("failed"));
    const form = new FormData();
    form.append("file", file, file.name || "pasted.png");
    xhr.send(form);
  });
}

function part(tag, cls, text) {
  const n = document.createElement(tag);
  n.className = cls;
  if (text != null) n.textContent = text;
  return n;
}

/** A node showing a message's attachments. */
export function render(attachments) {
  const box = part("div", "attachments");
  for (const a of attachments) {
    const link = document.createElement("a");
    link.href = a.url;
    link.rel = "noopener noreferrer";
    link.target = "_blank";
    if (/^image\//.test(a.content_type)) {
      link.className = "attachment attachment--image";
      link.setAttribute("data-testid", "attachment-image");
      const img = document.createElement("img");
      img.src = a.url;
      img.alt = a.name;
      img.loading = "lazy";
      link.appendChild(img);
    } else {
      link.className = "attachment attachment--file";
      link.setAttribute("data-testid", "attachment-file");
      link.setAttribute("download", a.name);
      const icon = part("span", "attachment-icon", "\uD83D\uDCC4");
      icon.setAttribute("aria-hidden", "true");
      link.append(
        icon,
        part("span", "attachment-name", a.name),
        part("span", "attachment-size", humanSize(a.size)),
      );
    }
    box.appendChild(link);
  }
  return box;
}

/** Show upload progress (0..1) in a <progress> element; null hides it. */
export function progress(bar, fraction) {
  if (!bar) return;
  bar.hidden = fraction === null;
  if (fraction !== null) bar.value = Math.round(fraction * 100);
}
