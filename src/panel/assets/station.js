"use strict";
// The station page: connectors, buttons, chart, OCPP log and configuration, kept live by the
// server-sent events of `events`. Every URL is relative to the page's API base (`api/` at
// `/` of `run --control`, empty under a fleet's `/api/stations/{id}/panel`).

const API = document.body.dataset.api;
const ERROR_CODES = document.body.dataset.errorCodes.split(",").filter(Boolean);
const connectors = new Map();
const frameLog = new FrameLog(
  document.getElementById("log"),
  document.getElementById("log-filter"),
  document.getElementById("log-count"),
  document.getElementById("log-follow"),
);

function badge(element, text, tone) {
  element.textContent = text;
  element.className = `badge ${tone}`;
}

function statusTone(status) {
  if (["Available", "Charging"].includes(status)) return "ok";
  if (["Faulted", "Unavailable"].includes(status)) return "bad";
  return "warn";
}

async function post(path, body) {
  const response = await fetch(API + path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || `${response.status} ${response.statusText}`);
  return answer;
}

// ---- Connectors -------------------------------------------------------------------------

function connectorView(id) {
  let view = connectors.get(id);
  if (view) return view;
  const section = document.getElementById("connector-template").content.firstElementChild.cloneNode(true);
  section.setAttribute("aria-label", `Connector ${id}`);
  const field = (name) => section.querySelector(`[data-field="${name}"]`);
  field("title").textContent = `Connector ${id}`;
  const canvas = section.querySelector("canvas");
  canvas.setAttribute("aria-label", `Power and state of charge over the session, connector ${id}`);
  const codes = section.querySelector("select[name=errorCode]");
  codes.replaceChildren(...ERROR_CODES.map((c) => new Option(c, c)));
  view = { id, section, field, chart: new SessionChart(canvas), transactionId: null };
  wireActions(view);
  connectors.set(id, view);
  const list = document.getElementById("connectors");
  const after = [...connectors.keys()].filter((k) => k > id).sort((a, b) => a - b)[0];
  list.insertBefore(section, after === undefined ? null : connectors.get(after).section);
  return view;
}

function wireActions(view) {
  const act = async (path, body) => {
    const message = view.field("message");
    message.textContent = "";
    try {
      showConnector(await post(`connectors/${view.id}/${path}`, body));
    } catch (e) {
      message.textContent = e.message;
    }
  };
  const ops = {
    plug: () => act("plug", {}),
    unplug: () => act("unplug", {}),
    stop: () => act("stop", {}),
    suspend: () => act("ev", { suspend: true }),
    resume: () => act("ev", { suspend: false }),
  };
  for (const button of view.section.querySelectorAll("button[data-op]")) {
    button.addEventListener("click", ops[button.dataset.op]);
  }
  view.section.querySelector("form[data-form=card]").addEventListener("submit", (e) => {
    e.preventDefault();
    act("authorize", { idTag: e.target.elements.idTag.value.trim() });
  });
  view.section.querySelector("form[data-form=fault]").addEventListener("submit", (e) => {
    e.preventDefault();
    const active = !e.submitter || e.submitter.value !== "clear";
    act("fault", { errorCode: e.target.elements.errorCode.value, active });
  });
}

function showConnector(c) {
  const view = connectorView(c.id);
  const f = view.field;
  badge(f("status"), c.status, statusTone(c.status));
  f("errorCode").textContent = c.errorCode;
  f("transactionId").textContent = c.transactionId ?? "–";
  f("idTag").textContent = c.idTag ?? "–";
  f("powerW").textContent = `${(c.powerW / 1000).toFixed(1)} kW`;
  f("currentA").textContent = `${c.currentA.toFixed(1)} A`;
  f("voltageV").textContent = `${c.voltageV.toFixed(0)} V`;
  f("soc").textContent = c.soc === null ? "–" : `${c.soc.toFixed(0)} %`;
  f("energyWh").textContent = `${(c.energyWh / 1000).toFixed(2)} kWh`;
  // A new transaction starts a new chart: the chart is of the session.
  if (c.transactionId !== null && c.transactionId !== view.transactionId) {
    view.chart.clear();
    f("since").textContent = `since ${new Date().toLocaleTimeString()}`;
  }
  view.transactionId = c.transactionId;
  view.chart.add(Date.now(), c.powerW, c.soc);
}

function showState(state) {
  document.getElementById("station-id").textContent = state.id;
  document.title = `${state.id} · Station panel`;
  const csms = document.getElementById("csms-state");
  if (state.connected) badge(csms, "connected", "ok");
  else badge(csms, "not connected", "bad");
  for (const c of state.connectors) showConnector(c);
}

// ---- Power ------------------------------------------------------------------------------

async function power(on) {
  const message = document.getElementById("page-message");
  message.textContent = "";
  try {
    showState(await post("power", { on }));
  } catch (e) {
    message.textContent = `Power ${on ? "back" : "cut"}: ${e.message}`;
  }
}
document.getElementById("power-off").addEventListener("click", () => power(false));
document.getElementById("power-on").addEventListener("click", () => power(true));

// ---- Configuration ----------------------------------------------------------------------

let configTimer = null;

async function loadConfiguration() {
  const count = document.getElementById("config-count");
  try {
    const response = await fetch(API + "configuration");
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    const keys = await response.json();
    const rows = keys.map((k) => {
      const tr = document.createElement("tr");
      const key = document.createElement("th");
      key.scope = "row";
      key.textContent = k.key;
      const value = document.createElement("td");
      value.className = "value";
      value.textContent = k.value ?? "(write-only)";
      const access = document.createElement("td");
      access.className = "nowrap";
      access.textContent = k.readonly ? "read-only" : "read-write";
      tr.append(key, value, access);
      return tr;
    });
    document.getElementById("config").replaceChildren(...rows);
    count.textContent = `${keys.length} keys, read at ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    count.textContent = `cannot read the configuration: ${e.message}`;
  }
}

// Keys change over OCPP (ChangeConfiguration) and at a boot: read them again after either.
function configurationMayHaveChanged() {
  clearTimeout(configTimer);
  configTimer = setTimeout(loadConfiguration, 300);
}

document.getElementById("config-refresh").addEventListener("click", loadConfiguration);
frameLog.onFrame((action, kind) => {
  if (kind === "answer" && ["ChangeConfiguration", "BootNotification"].includes(action)) {
    configurationMayHaveChanged();
  }
});

// ---- Live feed --------------------------------------------------------------------------

function connectFeed() {
  const feedState = document.getElementById("feed-state");
  const events = new EventSource(API + "events");
  events.addEventListener("open", () => badge(feedState, "on", "ok"));
  events.addEventListener("error", () => badge(feedState, "reconnecting", "warn"));
  events.addEventListener("frames", (e) => frameLog.replace(JSON.parse(e.data)));
  events.addEventListener("frame", (e) => frameLog.add(JSON.parse(e.data)));
  events.addEventListener("state", (e) => showState(JSON.parse(e.data)));
}

if (/\/api\/stations\/[^/]+\/panel$/.test(location.pathname)) {
  document.getElementById("fleet-link").hidden = false;
}
connectFeed();
loadConfiguration();
