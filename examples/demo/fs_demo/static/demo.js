// The demo's JavaScript: uploads with a progress bar per file (drop or pick), and a dialog to
// confirm deletes. Without it the page still works: the form posts, the links lead to a page
// that asks for confirmation.
"use strict";

(() => {
  const PARALLEL = 2;

  function humanSize(size) {
    // Decimal units, as the server writes them (1 MB = 1,000,000 bytes).
    if (size < 1000) return size === 1 ? "1 byte" : `${size.toLocaleString("en")} bytes`;
    let value = size;
    for (const unit of ["kB", "MB", "GB", "TB"]) {
      value /= 1000;
      const text = Number(value.toPrecision(3));
      if (text < 1000 || unit === "TB") return `${text} ${unit}`;
    }
    return `${size} bytes`;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function enhanceUpload(form) {
    const picker = form.querySelector("input[type=file]");
    const queue = form.querySelector(".queue");
    const maxSize = Number(form.dataset.maxSize);
    const waiting = [];
    let running = 0;
    let savedSome = false;
    form.classList.add("enhanced");

    function row(file) {
      const item = element("li", "waiting");
      const name = element("bdi", "file-name", file.name);
      name.title = file.name;
      item.append(name, element("span", "file-size", humanSize(file.size)));
      const bar = element("progress");
      bar.max = 100;
      bar.value = 0;
      item.append(bar, element("span", "status", "Waiting…"));
      queue.append(item);
      return item;
    }

    function finish(item, ok, text) {
      item.classList.remove("waiting", "sending");
      item.classList.add(ok ? "done" : "failed");
      item.querySelector(".status").textContent = text;
      if (ok) item.querySelector("progress").value = 100;
      item.setAttribute("role", ok ? "status" : "alert");
    }

    function send(file, item) {
      return new Promise((resolve) => {
        if (file.size > maxSize) {
          finish(item, false, `Too large (${humanSize(file.size)}; the limit is ${form.dataset.maxSizeText}).`);
          resolve();
          return;
        }
        const request = new XMLHttpRequest();
        request.open("POST", form.action);
        request.setRequestHeader("Accept", "application/json");
        request.setRequestHeader("X-CSRF-Token", form.dataset.csrf);
        request.responseType = "json";
        item.classList.replace("waiting", "sending");
        item.querySelector(".status").textContent = "Uploading…";
        request.upload.addEventListener("progress", (event) => {
          if (event.lengthComputable) {
            item.querySelector("progress").value = Math.round((100 * event.loaded) / event.total);
          }
        });
        request.upload.addEventListener("load", () => {
          // Sent: the server checks it, and makes a photo's thumbnails, before it answers.
          item.querySelector(".status").textContent = "Processing…";
        });
        request.addEventListener("load", () => {
          const answer = request.response || {};
          const error = (answer.errors || [])[0];
          const saved = (answer.files || [])[0];
          if (saved) {
            savedSome = true;
            finish(item, true, saved.name === file.name ? "Saved." : `Saved as ${saved.name}.`);
          } else {
            finish(item, false, error ? error.text : `Not saved (the server answered ${request.status}).`);
          }
          resolve();
        });
        request.addEventListener("error", () => {
          finish(item, false, "Not saved: the connection to the server was lost.");
          resolve();
        });
        const data = new FormData();
        data.append("file", file);
        request.send(data);
      });
    }

    function next() {
      while (running < PARALLEL && waiting.length) {
        const [file, item] = waiting.shift();
        running += 1;
        send(file, item).then(() => {
          running -= 1;
          next();
          if (!running && !waiting.length && savedSome) {
            savedSome = false;
            refreshListing();
          }
        });
      }
    }

    function add(files) {
      for (const file of files) waiting.push([file, row(file)]);
      next();
    }

    picker.addEventListener("change", () => {
      add(Array.from(picker.files));
      picker.value = "";
    });
    form.addEventListener("submit", (event) => event.preventDefault());

    // Files dragged anywhere over the page are for this form.
    const carriesFiles = (event) => Array.from(event.dataTransfer?.types || []).includes("Files");
    let depth = 0;
    document.addEventListener("dragenter", (event) => {
      if (!carriesFiles(event)) return;
      depth += 1;
      form.classList.add("dragging");
    });
    document.addEventListener("dragleave", (event) => {
      if (!carriesFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (!depth) form.classList.remove("dragging");
    });
    document.addEventListener("dragover", (event) => {
      if (carriesFiles(event)) event.preventDefault();
    });
    document.addEventListener("drop", (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth = 0;
      form.classList.remove("dragging");
      add(Array.from(event.dataTransfer.files));
    });
  }

  async function refreshListing() {
    const current = document.getElementById("listing");
    const response = await fetch(window.location.href, { headers: { Accept: "text/html" } });
    if (!response.ok || !current) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("listing");
    if (fresh) current.replaceChildren(...fresh.childNodes);
  }

  function enhanceDeletes() {
    const dialog = document.getElementById("confirm-delete");
    if (!dialog || typeof dialog.showModal !== "function") return;
    const form = dialog.querySelector("form");
    document.addEventListener("click", (event) => {
      const link = event.target.closest("a[data-delete]");
      if (!link) return;
      event.preventDefault();
      form.action = link.href;
      dialog.querySelector(".name").textContent = link.dataset.delete;
      dialog.showModal();
    });
    dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  }

  document.querySelectorAll("form.upload").forEach(enhanceUpload);
  enhanceDeletes();
})();
