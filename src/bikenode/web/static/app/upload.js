// Upload: drop files, folders or zip archives; each file gets a progress bar, then the
// result of every activity in it (imported, duplicate, failed) as the server reports it.

import { ApiError, api, errorFrom, freshToken, refresh } from "./api.js";
import { fill, h, sentence } from "./dom.js";

const ACCEPTED = /\.(fit|gpx|tcx|zip)(\.gz)?$/i;
const PARALLEL_UPLOADS = 2;
const POLL_MS = [500, 1000, 2000];
const MAX_POLL_FAILURES = 5;

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

// Folders dropped on the page: walk them (readEntries answers in batches until empty).
async function filesOf(entry, path = "") {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    return [{ file, name: path + file.name }];
  }
  const reader = entry.createReader();
  const found = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const child of batch) found.push(...(await filesOf(child, `${path}${entry.name}/`)));
  }
  return found;
}

async function droppedFiles(dataTransfer) {
  const entries = [...dataTransfer.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
  if (!entries.length) return [...dataTransfer.files].map((file) => ({ file, name: file.name }));
  return (await Promise.all(entries.map((entry) => filesOf(entry)))).flat();
}

function sendFile(file, token, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/uploads");
    xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.responseType = "json";
    xhr.upload.addEventListener(
      "progress",
      (event) => event.lengthComputable && onProgress(event.loaded / event.total),
    );
    xhr.addEventListener("load", () => {
      if (xhr.status === 202) resolve(xhr.response.uploads[0]);
      else reject(errorFrom(xhr.status, xhr.response, xhr.statusText));
    });
    xhr.addEventListener("error", () =>
      reject(new ApiError(0, "the connection broke during the upload; try again")),
    );
    const form = new FormData();
    form.append("files", file, file.name);
    xhr.send(form);
  });
}

// A server error stored nothing (the upload is saved in one transaction), so it is safe to
// send the file again; an expired token is refreshed once.
const RETRY_STATUSES = new Set([500, 502, 503, 504]);
const RETRY_DELAYS_MS = [1000, 3000];

async function upload(file, onProgress) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await sendFile(file, await freshToken(), onProgress);
    } catch (error) {
      if (error.status === 401 && attempt === 0) await refresh();
      else if (RETRY_STATUSES.has(error.status) && attempt < RETRY_DELAYS_MS.length)
        await pause(RETRY_DELAYS_MS[attempt]);
      else throw error;
    }
  }
}

const rideLink = (id, text) => h("a", { href: `/rides/${id}` }, text);
// status: [class, badge, what follows the file name]
const OUTCOMES = {
  imported: ["ok", "Imported", (item) => [" — ", rideLink(item.ride_id, "open the ride")]],
  duplicate: [
    "dup",
    "Duplicate",
    (item) => [" — already here: ", rideLink(item.duplicate_of, "see the original")],
  ],
  failed: ["bad", "Failed", (item) => [" — ", sentence(item.reason || "the file could not be read")]],
};

function itemLine(item) {
  const [className, badge, detail] = OUTCOMES[item.status] || OUTCOMES.failed;
  const warnings = item.warnings?.length
    ? h(
        "ul",
        { class: "warnings" },
        item.warnings.map((w) => h("li", {}, sentence(w))),
      )
    : null;
  return h(
    "li",
    { class: className, dataset: { status: item.status } },
    h("span", { class: "badge" }, badge),
    " ",
    item.entry,
    detail(item),
    warnings,
  );
}

function summaryLine(upload) {
  const counts = upload.counts || {};
  const parts = [
    ["imported", "imported", "imported"],
    ["duplicate", "duplicate", "duplicates"],
    ["failed", "failed", "failed"],
  ]
    .filter(([key]) => counts[key])
    .map(([key, one, many]) => `${counts[key]} ${counts[key] === 1 ? one : many}`);
  return parts.length ? parts.join(", ") : "no activity found in this file";
}

function outcome(upload) {
  const counts = upload.counts || {};
  if (counts.imported) return "imported";
  return counts.duplicate ? "duplicate" : "failed";
}

/** One row per file: name, progress bar, then status and results. */
function fileRow(name, bytes) {
  const progress = h("progress", { max: "1", value: "0", "aria-label": `Upload of ${name}` });
  const status = h("p", { class: "status" }, "Waiting…");
  const items = h("ul", { class: "items" });
  const row = h(
    "li",
    { class: "upload", dataset: { state: "waiting" } },
    h(
      "div",
      { class: "upload-head" },
      h("strong", { class: "name" }, name),
      h("span", { class: "size" }, size(bytes)),
    ),
    progress,
    status,
    items,
  );
  const set = (state, text) => {
    row.dataset.state = state;
    status.textContent = text;
  };
  return { row, progress, items, set };
}

export async function render(main) {
  document.title = "Upload · BikeNode";
  let stopped = false;
  const queue = [];
  let running = 0;
  const list = h("ul", { class: "uploads", "aria-live": "polite" });
  const filePicker = h("input", {
    type: "file",
    multiple: true,
    accept: ".fit,.gpx,.tcx,.zip,.gz",
    id: "pick-files",
    class: "visually-hidden",
  });
  const folderPicker = h("input", {
    type: "file",
    webkitdirectory: true,
    id: "pick-folder",
    class: "visually-hidden",
  });
  const zone = h(
    "div",
    { class: "dropzone", id: "dropzone" },
    h("p", {}, h("strong", {}, "Drop activity files, folders or zip archives here")),
    h("p", { class: "hint" }, "FIT, GPX and TCX files (also .gz), and exports from Strava or Garmin as zip."),
    h(
      "div",
      { class: "actions" },
      filePicker,
      h("label", { for: "pick-files", class: "button primary" }, "Choose files"),
      folderPicker,
      h("label", { for: "pick-folder", class: "button" }, "Choose a folder"),
    ),
  );

  function add(files) {
    for (const { file, name } of files) {
      const row = fileRow(name, file.size);
      list.append(row.row);
      if (!ACCEPTED.test(name)) {
        row.progress.remove();
        row.set("skipped", "Skipped: not a FIT, GPX, TCX or zip file.");
        continue;
      }
      queue.push({ file, row });
    }
    pump();
  }

  function pump() {
    while (!stopped && running < PARALLEL_UPLOADS && queue.length) {
      const next = queue.shift();
      running++;
      process(next).finally(() => {
        running--;
        pump();
      });
    }
  }

  async function process({ file, row }) {
    row.set("sending", "Uploading…");
    try {
      const created = await upload(file, (share) => {
        row.progress.value = share;
      });
      row.progress.value = 1;
      row.set("processing", "Uploaded; importing…");
      await follow(created.id, row);
    } catch (error) {
      row.set("failed", `Upload failed: ${sentence(error.message)}`);
    }
  }

  async function follow(id, row) {
    let failures = 0;
    for (let round = 0; !stopped; round++) {
      let state;
      try {
        state = await api(`/api/v1/uploads/${id}`);
        failures = 0;
      } catch (error) {
        // The file is stored and will be imported; a passing error only delays the news.
        if (error.status === 401 || ++failures > MAX_POLL_FAILURES) throw error;
        await pause(POLL_MS.at(-1));
        continue;
      }
      fill(row.items, state.items.map(itemLine));
      if (state.status === "done") {
        row.row.dataset.outcome = outcome(state);
        return row.set("done", `Done: ${summaryLine(state)}.`);
      }
      if (state.status === "failed")
        return row.set("failed", `Failed: ${sentence(state.error || "the file could not be read")}`);
      await pause(POLL_MS[Math.min(round, POLL_MS.length - 1)]);
    }
  }

  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", async (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    add(await droppedFiles(event.dataTransfer));
  });
  for (const picker of [filePicker, folderPicker]) {
    picker.addEventListener("change", () => {
      add([...picker.files].map((file) => ({ file, name: file.webkitRelativePath || file.name })));
      picker.value = "";
    });
  }
  // A file dropped beside the zone must not make the browser leave the app to show it.
  const ignoreDrop = (event) => event.preventDefault();
  window.addEventListener("dragover", ignoreDrop);
  window.addEventListener("drop", ignoreDrop);
  fill(main, h("h1", {}, "Upload rides"), zone, list);
  return () => {
    stopped = true;
    window.removeEventListener("dragover", ignoreDrop);
    window.removeEventListener("drop", ignoreDrop);
  };
}
