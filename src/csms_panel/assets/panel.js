// The Central System panel: live stations, transactions and frames (server-sent events from
// /api/events), and the form that sends a request to a station (/api/stations/{id}/call).
"use strict";

const MAX_FRAMES = 500; // per station, as the server keeps them

const state = {
  stations: new Map(), // id -> station view
  transactions: [],
  frames: new Map(), // id -> frames, oldest first
  fetched: new Set(), // stations whose stored frames were fetched since the last snapshot
  selected: "",
  schemas: false,
  schemaCache: new Map(),
  form: null, // SchemaForm for the chosen action, or null for the JSON editor
  jsonEditor: null,
};

const $ = (id) => document.getElementById(id);
// `el` (an element with attributes and children) comes from schema_form.js, loaded first.

// A table cell whose content stays one block (a phone lays the cell out as a grid).
function cell(tag, attrs, ...children) {
  return el(tag, attrs, el("div", {}, ...children));
}

// Times in the browser's own time zone.
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "medium" });
function timeEl(iso, fmt = dateTimeFmt) {
  if (!iso) return document.createTextNode("—");
  const t = new Date(iso);
  return el("time", { datetime: iso, title: t.toString(), text: fmt.format(t) });
}

function statusClass(status) {
  if (["Available", "Charging", "Accepted", "Connected"].includes(status)) return "badge ok";
  if (["Faulted", "Unavailable", "Rejected", "Disconnected"].includes(status)) return "badge bad";
  return "badge warn";
}

// --- stations and transactions ------------------------------------------------------------

function openTransaction(station, connector) {
  return state.transactions.find((t) => t.station === station && t.connectorId === connector && !t.stopTime);
}

function renderStations() {
  const body = $("stations").tBodies[0];
  const focused = document.activeElement && document.activeElement.dataset.station;
  body.replaceChildren();
  for (const s of state.stations.values()) {
    const pick = el("button", { type: "button", class: "link", "data-station": s.id, "aria-pressed": String(s.id === state.selected), text: s.id });
    pick.addEventListener("click", () => select(s.id));
    const connectors = el("ul", { class: "connectors" });
    for (const c of s.connectors) {
      const tx = c.connectorId > 0 ? openTransaction(s.id, c.connectorId) : null;
      const label = c.connectorId === 0 ? "Station" : `Connector ${c.connectorId}`;
      const item = el("li", {}, `${label}: `, el("span", { class: statusClass(c.status), text: c.status }));
      if (c.errorCode && c.errorCode !== "NoError") item.append(` ${c.errorCode}`);
      if (c.info) item.append(` (${c.info})`);
      if (tx) item.append(` — transaction ${tx.transactionId}, ${tx.idTag}`);
      connectors.append(item);
    }
    if (s.connectors.length === 0) connectors.append(el("li", { class: "empty", text: "no StatusNotification yet" }));
    const link = s.connected ? "Connected" : "Disconnected";
    const profile = s.connected && s.securityProfile !== null ? ` (security profile ${s.securityProfile})` : "";
    const who = [s.vendor, s.model].filter(Boolean).join(" ") + (s.firmware ? `, firmware ${s.firmware}` : "");
    const row = el(
      "tr",
      { class: s.id === state.selected ? "selected" : "" },
      cell("th", { scope: "row" }, pick),
      cell("td", {}, el("span", { class: statusClass(link), text: link }), profile),
      cell("td", {}, s.registration ? el("span", { class: statusClass(s.registration), text: s.registration }) : "—"),
      cell("td", {}, connectors),
      cell("td", {}, who || "—"),
      cell("td", {}, timeEl(s.lastSeen)),
    );
    body.append(row);
  }
  labelCells($("stations"));
  $("no-stations").hidden = state.stations.size > 0;
  if (focused) {
    const again = body.querySelector(`[data-station="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
  renderStationChoice();
}

// Each cell names its column: a phone shows a row as a card, header beside value.
function labelCells(table) {
  const heads = [...table.tHead.rows[0].cells].map((c) => c.textContent);
  for (const row of table.tBodies[0].rows) [...row.cells].forEach((cell, i) => (cell.dataset.label = heads[i]));
}

function renderStationChoice() {
  const choice = $("station");
  choice.replaceChildren();
  if (state.stations.size === 0) choice.append(el("option", { value: "", text: "— no station —" }));
  for (const s of state.stations.values())
    choice.append(el("option", { value: s.id, text: s.connected ? s.id : `${s.id} (disconnected)` }));
  choice.value = state.selected;
}

function renderTransactions() {
  const body = $("transactions").tBodies[0];
  body.replaceChildren();
  for (const t of [...state.transactions].reverse()) {
    const energy = t.meterStop !== null && t.meterStop !== undefined ? `${((t.meterStop - t.meterStart) / 1000).toFixed(2)} kWh` : "charging";
    body.append(
      el(
        "tr",
        {},
        cell("td", {}, String(t.transactionId)),
        cell("td", {}, t.station),
        cell("td", {}, String(t.connectorId)),
        cell("td", {}, t.idTag),
        cell("td", {}, timeEl(t.startTime)),
        cell("td", {}, timeEl(t.stopTime)),
        cell("td", {}, energy),
        cell("td", {}, t.stopReason || "—"),
      ),
    );
  }
  labelCells($("transactions"));
  $("no-transactions").hidden = state.transactions.length > 0;
}

// --- the OCPP log ---------------------------------------------------------------------------

function frameItem(f) {
  const toStation = f.dir === "sent";
  const json = typeof f.frame === "string" ? f.frame : JSON.stringify(f.frame);
  const payload = Array.isArray(f.frame) ? f.frame[f.kind === "CALL" ? 3 : 2] : f.frame;
  const preview = typeof payload === "string" ? payload : JSON.stringify(payload);
  const summary = el(
    "summary",
    {},
    timeEl(f.at, timeFmt),
    el("span", { "aria-hidden": "true", text: toStation ? "→" : "←" }),
    el("span", { class: "visually-hidden", text: toStation ? "to station" : "from station" }),
    el("strong", { text: f.action || "(unknown action)" }),
    el("span", { class: `kind ${f.kind}`, text: f.kind }),
    el("code", { text: preview || "" }),
  );
  const pretty = typeof f.frame === "string" ? f.frame : JSON.stringify(f.frame, null, 2);
  const item = el("li", { class: f.dir, "data-seq": String(f.seq) }, el("details", {}, summary, el("pre", { text: pretty })));
  item.dataset.action = (f.action || "").toLowerCase();
  item.title = json.length > 2000 ? "" : json;
  return item;
}

function matchesFilter(f) {
  const want = $("log-filter").value.trim().toLowerCase();
  return !want || (f.action || "").toLowerCase().includes(want);
}

function renderLog() {
  const list = $("log-list");
  list.replaceChildren();
  const frames = state.frames.get(state.selected) || [];
  for (const f of frames) if (matchesFilter(f)) list.append(frameItem(f));
  $("log-station").textContent = state.selected ? `Frames of ${state.selected}, newest last.` : "Choose a station to see its frames.";
  list.scrollTop = list.scrollHeight;
}

function addFrame(f) {
  const frames = state.frames.get(f.station) || [];
  if (frames.length && frames[frames.length - 1].seq >= f.seq) return; // already have it
  frames.push(f);
  if (frames.length > MAX_FRAMES) frames.shift();
  state.frames.set(f.station, frames);
  if (f.station !== state.selected) return;
  const list = $("log-list");
  // Follow the newest frame unless the reader scrolled up to read an older one.
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  if (matchesFilter(f)) list.append(frameItem(f));
  while (list.children.length > MAX_FRAMES) list.firstElementChild.remove();
  if (atBottom) list.scrollTop = list.scrollHeight;
}

// The frames the server kept from before this page followed the station, merged with the
// live ones by sequence number.
async function fetchFrames(id) {
  if (!id || state.fetched.has(id)) return;
  state.fetched.add(id);
  const resp = await fetch(`/api/stations/${encodeURIComponent(id)}/frames`);
  if (!resp.ok) return;
  const { frames } = await resp.json();
  const bySeq = new Map();
  for (const f of [...frames, ...(state.frames.get(id) || [])]) bySeq.set(f.seq, f);
  state.frames.set(id, [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(-MAX_FRAMES));
  if (id === state.selected) renderLog();
}

function select(id) {
  state.selected = id;
  renderStations();
  renderLog();
  fetchFrames(id);
}

function chooseDefault() {
  if (state.selected && state.stations.has(state.selected)) return;
  const first = [...state.stations.values()].find((s) => s.connected) || state.stations.values().next().value;
  if (first) select(first.id);
}

// --- live feed ------------------------------------------------------------------------------

function follow() {
  const live = $("live");
  const source = new EventSource("/api/events");
  source.onopen = () => {
    live.textContent = "Live";
    live.className = "up";
  };
  source.onerror = () => {
    // EventSource reconnects by itself; the next snapshot brings the page up to date.
    live.textContent = "Reconnecting…";
    live.className = "down";
  };
  source.addEventListener("snapshot", (e) => {
    const snap = JSON.parse(e.data);
    state.stations = new Map(snap.stations.map((s) => [s.id, s]));
    state.transactions = snap.transactions;
    state.fetched.clear();
    renderTransactions();
    renderStations();
    chooseDefault();
    fetchFrames(state.selected);
  });
  source.addEventListener("station", (e) => {
    const { station } = JSON.parse(e.data);
    state.stations.set(station.id, station);
    renderStations();
    chooseDefault();
  });
  source.addEventListener("transactions", (e) => {
    state.transactions = JSON.parse(e.data).transactions;
    renderTransactions();
    renderStations();
  });
  source.addEventListener("frame", (e) => addFrame(JSON.parse(e.data).frame));
}

// --- the request form -----------------------------------------------------------------------

async function loadActions() {
  const resp = await fetch("/api/actions");
  const info = await resp.json();
  state.schemas = info.schemas;
  const choice = $("action");
  for (const g of info.groups) {
    const group = el("optgroup", { label: g.name });
    for (const a of g.actions) group.append(el("option", { value: a, text: a }));
    choice.append(group);
  }
  // Where the schemas are is a hover away: the note stays short on a phone.
  $("checks").title = info.source;
  $("checks").textContent = info.schemas
    ? "The form follows the official JSON schema of each request; it is checked here and again by the Central System before anything is sent."
    : `No official JSON schemas were found (set OCPP_SCHEMA_DIR, pass --schemas DIR, or pip install ocpp): type the payload as JSON; the Central System checks it against its typed messages before anything is sent.`;
}

async function schemaOf(action) {
  if (!state.schemaCache.has(action)) {
    const resp = await fetch(`/api/schemas/${encodeURIComponent(action)}`);
    state.schemaCache.set(action, resp.ok ? await resp.json() : null);
  }
  return state.schemaCache.get(action);
}

function updatePreview() {
  const out = $("preview");
  if (state.form) out.textContent = JSON.stringify(state.form.read().payload, null, 2);
  else out.textContent = state.jsonEditor ? state.jsonEditor.value : "";
}

async function showAction() {
  const action = $("action").value;
  const fields = $("fields");
  $("form-errors").replaceChildren();
  const schema = state.schemas ? await schemaOf(action) : null;
  if (action !== $("action").value) return; // another choice came meanwhile
  if (schema) {
    state.form = SchemaForm.build(fields, schema, updatePreview);
    state.jsonEditor = null;
  } else {
    state.form = null;
    const editor = el("textarea", { id: "payload-json", rows: "8", spellcheck: "false", "aria-describedby": "payload-json-err" });
    editor.value = "{}";
    editor.addEventListener("input", updatePreview);
    state.jsonEditor = editor;
    fields.replaceChildren(
      el("div", { class: "field" }, el("label", { for: "payload-json", text: "Payload (JSON)" }), editor, el("span", { id: "payload-json-err", class: "field-error" })),
    );
  }
  updatePreview();
}

// The payload and what is wrong with it ([] when it may be sent).
function readPayload() {
  if (state.form) return state.form.read();
  try {
    const payload = JSON.parse(state.jsonEditor.value);
    if (payload === null || typeof payload !== "object" || Array.isArray(payload))
      return { payload, errors: [{ field: "payload", message: "must be a JSON object" }] };
    return { payload, errors: [] };
  } catch (e) {
    return { payload: null, errors: [{ field: "payload", message: `is not JSON: ${e.message}` }] };
  }
}

function showErrors(errors) {
  const box = $("form-errors");
  box.replaceChildren();
  let first = state.form ? state.form.mark(errors) : null;
  if (!state.form && state.jsonEditor) {
    state.jsonEditor.toggleAttribute("aria-invalid", errors.length > 0);
    $("payload-json-err").textContent = errors.map((e) => e.message).join("; ");
    first = errors.length ? state.jsonEditor : null;
  }
  if (!errors.length) return null;
  box.append(el("p", { text: "Not sent: fix these fields first." }), el("ul", {}, ...errors.map((e) => el("li", { text: `${e.field}: ${e.message}` }))));
  return first;
}

function showAnswer(...nodes) {
  $("answer-body").replaceChildren(...nodes);
}

async function send(ev) {
  ev.preventDefault();
  const station = $("station").value;
  const action = $("action").value;
  const { payload, errors } = readPayload();
  if (!station) errors.unshift({ field: "station", message: "choose a station" });
  const first = showErrors(errors);
  if (errors.length) {
    showAnswer(el("p", { class: "error", text: `Not sent: the ${action} request is not valid (${errors.map((e) => e.field).join(", ")}).` }));
    (first || (station ? $("action") : $("station"))).focus();
    return;
  }
  const button = $("send");
  button.disabled = true;
  showAnswer(el("p", { text: `Sending ${action} to ${station}…` }));
  try {
    const resp = await fetch(`/api/stations/${encodeURIComponent(station)}/call`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action, payload }),
    });
    const body = await resp.json().catch(() => ({ error: `HTTP ${resp.status}` }));
    const when = el("span", {}, " at ", timeEl(new Date().toISOString(), timeFmt));
    if (resp.ok && body.kind === "CALLRESULT") {
      showAnswer(
        el("p", { class: "result" }, el("strong", { text: "CALLRESULT" }), ` to ${action} from ${station}`, when),
        el("pre", { text: JSON.stringify(body.payload, null, 2) }),
      );
    } else if (resp.ok && body.kind === "CALLERROR") {
      showAnswer(
        el("p", { class: "error" }, el("strong", { text: "CALLERROR" }), ` ${body.errorCode}: ${body.errorDescription || "(no description)"}`, when),
        el("pre", { text: JSON.stringify(body.errorDetails, null, 2) }),
      );
    } else if (resp.status === 400) {
      const message = body.field && body.error.startsWith(`${body.field}: `) ? body.error.slice(body.field.length + 2) : body.error;
      const refused = body.field ? [{ field: body.field, message }] : [];
      showErrors(refused);
      showAnswer(el("p", { class: "error", text: `Not sent: the Central System refused the request: ${body.error}` }));
    } else {
      showAnswer(el("p", { class: "error", text: `No answer (HTTP ${resp.status}): ${body.error}` }));
    }
  } catch (e) {
    showAnswer(el("p", { class: "error", text: `No answer: ${e.message}` }));
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  $("timezone").textContent = `Times in ${Intl.DateTimeFormat().resolvedOptions().timeZone}`;
  $("send-form").addEventListener("submit", send);
  $("action").addEventListener("change", showAction);
  $("station").addEventListener("change", (e) => select(e.target.value));
  $("log-filter").addEventListener("input", renderLog);
  follow();
  await loadActions();
  await showAction();
});
