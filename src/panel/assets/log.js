"use strict";
// The OCPP log: every frame, newest last, with its action name (an answer carries the
// action of the CALL it answers), filterable by action, each expandable to its JSON.

const LOG_ENTRIES = 1000;
const KIND = { 2: "request", 3: "answer", 4: "error" };

class FrameLog {
  constructor(list, filter, count, follow) {
    this.list = list;
    this.filter = filter;
    this.count = count;
    this.follow = follow;
    this.actions = new Set();
    // Unique id of each CALL -> its action, to name the answers.
    this.calls = new Map();
    // The newest frame shown: live frames the last history had already are skipped.
    this.lastSeq = 0;
    this.listeners = [];
    filter.addEventListener("change", () => this.applyFilter());
  }

  // Calls `f(action, kind, frame)` for each frame added.
  onFrame(f) {
    this.listeners.push(f);
  }

  // The history the server kept: replaces what the page shows.
  replace(frames) {
    this.list.replaceChildren();
    this.calls.clear();
    this.lastSeq = 0;
    for (const frame of frames) this.add(frame, false);
    this.updated();
  }

  add(frame, notify = true) {
    if (frame.seq <= this.lastSeq) return;
    this.lastSeq = frame.seq;
    const parsed = parseFrame(frame.text);
    let action = "";
    if (parsed.type === 2) {
      action = parsed.action;
      this.calls.set(parsed.id, action);
      if (this.calls.size > 500) this.calls.delete(this.calls.keys().next().value);
    } else if (parsed.id !== undefined) {
      action = this.calls.get(parsed.id) || "";
      this.calls.delete(parsed.id);
    }
    const kind = KIND[parsed.type] || "invalid";
    this.list.append(this.entry(frame, action, kind, parsed));
    while (this.list.children.length > LOG_ENTRIES) this.list.firstElementChild.remove();
    if (action && !this.actions.has(action)) {
      this.actions.add(action);
      this.refreshFilterOptions();
    }
    if (notify) {
      this.updated();
      for (const f of this.listeners) f(action, kind, frame);
    }
  }

  entry(frame, action, kind, parsed) {
    const li = document.createElement("li");
    li.dataset.action = action;
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    const time = document.createElement("time");
    time.dateTime = frame.at;
    time.textContent = new Date(frame.at).toLocaleTimeString();
    const dir = document.createElement("span");
    dir.className = `dir-${frame.direction}`;
    dir.textContent = frame.direction === "sent" ? "→ sent" : "← received";
    const name = document.createElement("span");
    name.className = "action";
    name.textContent = action || "(unknown action)";
    const what = document.createElement("span");
    what.className = `kind-${kind}`;
    what.textContent = kind === "error" && parsed.code ? `error ${parsed.code}` : kind;
    summary.append(time, dir, name, what);
    const pre = document.createElement("pre");
    details.append(summary, pre);
    // The JSON is laid out only when someone opens the entry.
    details.addEventListener("toggle", () => {
      if (details.open && !pre.textContent) pre.textContent = prettyJson(frame.text);
    });
    li.append(details);
    li.hidden = !this.matches(action);
    return li;
  }

  matches(action) {
    return !this.filter.value || this.filter.value === action;
  }

  applyFilter() {
    for (const li of this.list.children) {
      if (li.dataset.action !== undefined) li.hidden = !this.matches(li.dataset.action);
    }
    this.updated();
  }

  refreshFilterOptions() {
    const chosen = this.filter.value;
    const options = [...this.actions].sort().map((a) => new Option(a, a, false, a === chosen));
    this.filter.replaceChildren(new Option("All actions", ""), ...options);
    this.filter.value = chosen;
  }

  updated() {
    document.getElementById("log-empty").hidden = this.list.children.length > 0;
    const shown = [...this.list.children].filter((li) => !li.hidden).length;
    this.count.textContent = `${shown} frames shown`;
    if (this.follow.checked) this.list.scrollTop = this.list.scrollHeight;
  }
}

function parseFrame(text) {
  try {
    const v = JSON.parse(text);
    if (!Array.isArray(v)) return {};
    if (v[0] === 2) return { type: 2, id: v[1], action: String(v[2]) };
    if (v[0] === 3) return { type: 3, id: v[1] };
    if (v[0] === 4) return { type: 4, id: v[1], code: String(v[2]) };
  } catch (e) {
    // Shown as an invalid frame.
  }
  return {};
}

function prettyJson(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch (e) {
    return text;
  }
}
