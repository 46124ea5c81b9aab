"use strict";
// The fleet overview: every station's id (a link to its panel), connection, connector
// statuses and transactions, searchable. The list is read again in the background every few
// seconds while the page is visible; a fleet of thousands shows at most ROWS rows at once.

const ROWS = 500;
const REFRESH_MS = 2000;
let stations = [];

function count(n, thing) {
  return `${n} ${thing}${n === 1 ? "" : "s"}`;
}

function connectorsText(s) {
  return s.connectors.map((c) => `${c.id}: ${c.status}${c.errorCode !== "NoError" ? ` (${c.errorCode})` : ""}`).join(" · ");
}

function transactionsText(s) {
  const open = s.connectors.filter((c) => c.transactionId !== null);
  return open.length ? open.map((c) => `${c.transactionId} (connector ${c.id}, ${c.idTag ?? "?"})`).join("; ") : "–";
}

function matches(s, words) {
  const text = `${s.id} ${s.connected ? "connected" : "offline"} ${connectorsText(s)} ${transactionsText(s)}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

function row(s) {
  const tr = document.createElement("tr");
  tr.dataset.id = s.id;
  const id = document.createElement("th");
  id.scope = "row";
  const link = document.createElement("a");
  // The station's own API is under api/stations/{id}/: its panel is there too.
  link.href = `api/stations/${encodeURIComponent(s.id)}/panel`;
  link.textContent = s.id;
  id.append(link);
  const connected = document.createElement("td");
  const badge = document.createElement("span");
  badge.className = `badge ${s.connected ? "ok" : "bad"}`;
  badge.textContent = s.connected ? "yes" : "no";
  connected.append(badge);
  const statuses = document.createElement("td");
  statuses.textContent = connectorsText(s);
  const transactions = document.createElement("td");
  transactions.textContent = transactionsText(s);
  tr.append(id, connected, statuses, transactions);
  return tr;
}

function render() {
  const words = document.getElementById("search").value.toLowerCase().split(/\s+/).filter(Boolean);
  const found = stations.filter((s) => matches(s, words));
  // Rows are rebuilt on each refresh: keep the keyboard focus on the same station's link.
  const focused = document.activeElement && document.activeElement.closest("tr")?.dataset.id;
  const body = document.getElementById("stations");
  body.replaceChildren(...found.slice(0, ROWS).map(row));
  if (focused) {
    const again = [...body.rows].find((tr) => tr.dataset.id === focused);
    if (again) again.querySelector("a").focus();
  }
  const more = found.length > ROWS ? `; the first ${ROWS} shown, search to narrow` : "";
  document.getElementById("shown").textContent = `${found.length} of ${stations.length} stations match${more}`;
  const connected = stations.filter((s) => s.connected).length;
  const charging = stations.reduce((n, s) => n + s.connectors.filter((c) => c.transactionId !== null).length, 0);
  document.getElementById("fleet-summary").textContent =
    `${count(stations.length, "station")}, ${connected} connected, ${count(charging, "transaction")}`;
}

async function refresh() {
  if (!document.hidden) {
    try {
      const response = await fetch("api/stations");
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      stations = await response.json();
      render();
      document.getElementById("fleet-updated").textContent = new Date().toLocaleTimeString();
    } catch (e) {
      document.getElementById("fleet-updated").textContent = `failed (${e.message}), retrying`;
    }
  }
  setTimeout(refresh, REFRESH_MS);
}

document.getElementById("search").addEventListener("input", render);
refresh();
