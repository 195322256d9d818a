/* Attachments in the browser, shared by the widget frame and the dashboard: upload with a
 * progress bar, pick / drop / paste files, and show a message's files (images as thumbnails
 * that open full size, other files as downloads with their name and size).
 * A classic script that defines window.SupportAttachments; it touches nothing else. */
"use strict";
(function () {
  var limits = null;

  /** {max_bytes, allowed_types, accept} from the server, fetched once. */
  function loadLimits() {
    if (!limits) {
      limits = fetch("/api/widget/attachments", { credentials: "omit" })
        .then(function (r) { return r.ok ? r.json() : {}; })
        .catch(function () { return {}; });
    }
    return limits;
  }

  function humanSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(bytes < 10240 ? 1 : 0) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function failure(kind) {
    var error = new Error(kind);
    error.kind = kind;
    return error;
  }

  /** POST one file as the multipart field "file"; resolves with the attachment object.
   * Rejects with an Error whose .kind is tooBig, notAllowed, rateLimited or failed. */
  function upload(url, headers, file, onProgress) {
    return loadLimits().then(function (info) {
      if (info.max_bytes && file.size > info.max_bytes) throw failure("tooBig");
      return new Promise(function (resolve, reject) {
        var xhr = new XMLHttpRequest();
        xhr.open("POST", url);
        Object.keys(headers || {}).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
        xhr.upload.onprogress = function (e) { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
        xhr.onload = function () {
          var data = null;
          try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
          if (xhr.status === 201 && data && data.attachment) return resolve(data.attachment);
          if (xhr.status === 413) return reject(failure("tooBig"));
          if (xhr.status === 400) return reject(failure("notAllowed"));
          if (xhr.status === 429) return reject(failure("rateLimited"));
          reject(failure("failed"));
        };
        xhr.onerror = function () { reject(failure(info.max_bytes && file.size > info.max_bytes ? "tooBig" : "failed")); };
        var form = new FormData();
        form.append("file", file, file.name || "pasted.png");
        xhr.send(form);
      });
    });
  }

  /** A node showing a message's attachments. */
  function render(attachments) {
    var box = document.createElement("div");
    box.className = "attachments";
    attachments.forEach(function (a) {
      var link = document.createElement("a");
      link.href = a.url;
      link.rel = "noopener noreferrer";
      link.target = "_blank";
      if (/^image\//.test(a.content_type)) {
        link.className = "attachment attachment--image";
        link.setAttribute("data-testid", "attachment-image");
        var img = document.createElement("img");
        img.src = a.url;
        img.alt = a.name;
        img.loading = "lazy";
        link.appendChild(img);
      } else {
        link.className = "attachment attachment--file";
        link.setAttribute("data-testid", "attachment-file");
        link.setAttribute("download", a.name);
        var icon = document.createElement("span");
        icon.className = "attachment-icon";
        icon.setAttribute("aria-hidden", "true");
        icon.textContent = "\uD83D\uDCC4";
        var name = document.createElement("span");
        name.className = "attachment-name";
        name.textContent = a.name;
        var size = document.createElement("span");
        size.className = "attachment-size";
        size.textContent = humanSize(a.size);
        link.append(icon, name, size);
      }
      box.appendChild(link);
    });
    return box;
  }

  /** Files from a paste event (screenshots), or none. */
  function pastedFiles(event) {
    var items = (event.clipboardData && event.clipboardData.items) || [];
    var files = [];
    Array.prototype.forEach.call(items, function (item) {
      if (item.kind === "file") {
        var f = item.getAsFile();
        if (f) files.push(f.name ? f : new File([f], "screenshot.png", { type: f.type }));
      }
    });
    return files;
  }

  /** Wire an <input type=file>, a drop zone and a paste target to onFiles(files). */
  function bind(opts) {
    opts.input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(opts.input.files || []);
      opts.input.value = "";
      if (files.length) opts.onFiles(files);
    });
    if (opts.dropTarget) {
      opts.dropTarget.addEventListener("dragover", function (e) {
        if (e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, "Files") !== -1) {
          e.preventDefault();
          opts.dropTarget.classList.add("drop-active");
        }
      });
      opts.dropTarget.addEventListener("dragleave", function () { opts.dropTarget.classList.remove("drop-active"); });
      opts.dropTarget.addEventListener("drop", function (e) {
        opts.dropTarget.classList.remove("drop-active");
        var files = Array.prototype.slice.call((e.dataTransfer && e.dataTransfer.files) || []);
        if (!files.length) return;
        e.preventDefault();
        opts.onFiles(files);
      });
    }
    if (opts.pasteTarget) {
      opts.pasteTarget.addEventListener("paste", function (e) {
        var files = pastedFiles(e);
        if (!files.length) return;
        e.preventDefault();
        opts.onFiles(files);
      });
    }
    // The file picker's filter comes from the server, asked only once someone reaches for the
    // button: a page view of a visitor who never attaches costs no request.
    var applyAccept = function () {
      loadLimits().then(function (info) { if (info.accept) opts.input.accept = info.accept; });
    };
    ["pointerenter", "focus", "touchstart"].forEach(function (name) {
      (opts.input.labels && opts.input.labels[0] || opts.input).addEventListener(name, applyAccept, { once: true, passive: true });
      opts.input.addEventListener(name, applyAccept, { once: true, passive: true });
    });
  }

  /** Show upload progress (0..1) in a <progress> element; null hides it. */
  function progress(bar, fraction) {
    if (!bar) return;
    bar.hidden = fraction === null;
    if (fraction !== null) bar.value = Math.round(fraction * 100);
  }

  window.SupportAttachments = { upload: upload, render: render, bind: bind, progress: progress, humanSize: humanSize };
})();
