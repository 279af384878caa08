// Boardgate's page: live states over Server-Sent Events, controls through the HTTP API.
// Plain ES module, no build step, nothing fetched from outside the board.

const DOMAIN_TITLES = {
  switch: "Switches", light: "Lights", button: "Buttons", binary_sensor: "Binary sensors",
  sensor: "Sensors", automation: "Automations",
};
const DOMAIN_ORDER = ["switch", "light", "button", "automation", "binary_sensor", "sensor"];
const HOUR = 3600, BUCKET = 5, MAX_POINTS = 720;
const SILENCE_MS = 40000; // the board pings every 15 s: this much silence means it is gone
const POLL_MS = 5000;

const entities = new Map(); // entity_id -> {info, state, row}
const histories = new Map(); // entity_id -> [[t, value], ...]
let source = null;
let lastHeard = 0;
let online = false;

const $ = (id) => document.getElementById(id);

async function getJson(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

async function callService(domain, service, data) {
  const response = await fetch(`/api/services/${domain}/${service}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(data),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    notify(`${domain}.${service}: ${body.error || response.status}`);
  }
}

let noticeTimer = 0;
function notify(text) {
  const notice = $("notice");
  notice.textContent = text;
  notice.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { notice.hidden = true; }, 8000);
}

// -- entities ------------------------------------------------------------------------------

async function loadInfo() {
  const info = await getJson("/api/info");
  showDevice(info);
  const wanted = new Set(info.entities.map((e) => e.entity_id));
  for (const id of [...entities.keys()]) if (!wanted.has(id)) removeEntity(id);
  for (const e of info.entities) {
    const known = entities.get(e.entity_id);
    if (!known) entities.set(e.entity_id, { info: e, state: null, row: null });
    else known.info = e;
  }
  render();
  for (const e of info.entities) {
    if (e.domain === "sensor" && !histories.has(e.entity_id)) loadHistory(e.entity_id);
  }
}

let infoLoading = null;
function refreshInfo() { // one request for a burst of new entities (a reload adds many)
  if (!infoLoading) infoLoading = loadInfo().finally(() => { infoLoading = null; });
  return infoLoading;
}

async function loadHistory(entityId) {
  histories.set(entityId, []);
  try {
    const points = await getJson(`/api/history/${encodeURIComponent(entityId)}`);
    histories.set(entityId, points.map(([when, state]) => [when, numeric(state)]));
    drawSpark(entityId);
  } catch (error) { /* the stream fills it from now on */ }
}

function showDevice(info) {
  $("device-name").textContent = info.name || info.node_id;
  document.title = `${info.name || info.node_id} · Boardgate`;
  $("device-node").textContent = `node ${info.node_id}`;
  $("device-version").textContent = `v${info.version}`;
  $("device-uptime").textContent = duration(info.uptime_s);
  const broker = $("broker");
  if (!info.mqtt.configured) setPill(broker, "no broker configured", "");
  else setPill(broker, info.mqtt.connected ? "broker connected" : "broker disconnected",
    info.mqtt.connected ? "good" : "bad");
}

function setPill(element, text, kind) {
  element.textContent = text;
  element.className = `pill ${kind}`;
}

function render() {
  const container = $("entities");
  const domains = [...new Set([...entities.values()].map((e) => e.info.domain))];
  domains.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  for (const domain of domains) {
    let section = container.querySelector(`section[data-domain="${domain}"]`);
    if (!section) {
      section = document.createElement("section");
      section.className = "domain";
      section.dataset.domain = domain;
      section.innerHTML = `<h2></h2><ul class="entity-list"></ul>`;
      section.querySelector("h2").textContent = DOMAIN_TITLES[domain] || domain;
      container.append(section);
    }
  }
  const sections = [...container.children];
  sections.sort((a, b) => rank(a.dataset.domain) - rank(b.dataset.domain));
  sections.forEach((section) => container.append(section));
  for (const [id, entry] of entities) {
    if (!entry.row) {
      entry.row = makeRow(entry.info);
      container.querySelector(`section[data-domain="${entry.info.domain}"] ul`).append(entry.row);
    }
    entry.row.querySelector(".name").textContent = entry.info.name;
    if (entry.state) showState(id);
  }
  for (const section of sections) if (!section.querySelector("li")) section.remove();
}

function rank(domain) {
  const index = DOMAIN_ORDER.indexOf(domain);
  return index < 0 ? DOMAIN_ORDER.length : index;
}

function makeRow(info) {
  const row = document.createElement("li");
  row.className = "entity";
  row.dataset.entityId = info.entity_id;
  row.innerHTML = `<span class="name"></span><span class="state">…</span><span class="controls"></span>`;
  const controls = row.querySelector(".controls");
  const { domain, entity_id: id } = info;
  if (domain === "switch" || domain === "light" || domain === "automation") {
    const toggle = button("", () => {
      const on = isOn(entities.get(id)?.state?.state);
      callService(domain, on ? "turn_off" : "turn_on", { entity_id: id });
    });
    toggle.setAttribute("role", "switch");
    toggle.dataset.action = "toggle";
    toggle.setAttribute("aria-label", `${info.name} on/off`);
    controls.append(toggle);
  }
  if (domain === "light") {
    const slider = document.createElement("input");
    Object.assign(slider, { type: "range", min: 0, max: 255, step: 1 });
    slider.dataset.action = "brightness";
    slider.setAttribute("aria-label", `${info.name} brightness`);
    slider.addEventListener("change", () =>
      callService("light", "turn_on", { entity_id: id, brightness: Number(slider.value) }));
    controls.append(slider);
  }
  if (domain === "button") {
    const press = button("Press", () => callService("button", "press", { entity_id: id }));
    press.dataset.action = "press";
    press.setAttribute("aria-label", `Press ${info.name}`);
    controls.append(press);
  }
  if (domain === "sensor") {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("viewBox", "0 0 100 20");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `${info.name}, last hour`);
    svg.append(document.createElementNS("http://www.w3.org/2000/svg", "polyline"));
    controls.append(svg);
  }
  return row;
}

function button(text, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  element.addEventListener("click", onClick);
  return element;
}

function showState(id) {
  const entry = entities.get(id);
  if (!entry || !entry.row || !entry.state) return;
  const { state, available, attributes } = entry.state;
  const row = entry.row;
  row.classList.toggle("unavailable", !available);
  row.querySelector(".state").textContent = stateText(entry);
  for (const control of row.querySelectorAll("button, input")) control.disabled = !available;
  const toggle = row.querySelector('[data-action="toggle"]');
  if (toggle) {
    toggle.setAttribute("aria-checked", String(isOn(state)));
    toggle.textContent = isOn(state) ? "On" : "Off";
  }
  const slider = row.querySelector('[data-action="brightness"]');
  if (slider && document.activeElement !== slider) slider.value = attributes.brightness ?? 0;
}

function isOn(state) {
  return String(state).toUpperCase() === "ON";
}

function stateText(entry) {
  const { state } = entry.state;
  if (entry.info.domain === "button") {
    return state && state !== "unknown" && state !== "unavailable" ? `pressed ${time(state)}` : "never pressed";
  }
  if (entry.info.domain === "light" && state === "ON" && entry.state.attributes.brightness != null) {
    return `ON ${Math.round((entry.state.attributes.brightness / 255) * 100)} %`;
  }
  return entry.info.unit && state !== "unavailable" ? `${state} ${entry.info.unit}` : state;
}

function removeEntity(id) {
  const entry = entities.get(id);
  if (entry?.row) entry.row.remove();
  entities.delete(id);
  histories.delete(id);
  for (const section of $("entities").children) if (!section.querySelector("li")) section.remove();
}

function applyState(data) {
  const entry = entities.get(data.entity_id);
  if (!entry) {
    refreshInfo().then(() => { if (entities.has(data.entity_id)) applyState(data); }).catch(() => {});
    return;
  }
  entry.state = data;
  showState(data.entity_id);
  if (entry.info.domain === "sensor") addPoint(data.entity_id, Date.now() / 1000, data.state);
}

// -- sparklines ----------------------------------------------------------------------------

function addPoint(id, when, state) {
  const points = histories.get(id);
  if (!points) return;
  const value = numeric(state);
  const last = points[points.length - 1];
  if (last && Math.floor(last[0] / BUCKET) === Math.floor(when / BUCKET)) points.pop();
  points.push([when, value]);
  while (points.length > MAX_POINTS || (points.length && points[0][0] < when - HOUR)) points.shift();
  drawSpark(id);
}

function numeric(state) {
  const value = Number.parseFloat(state);
  return Number.isFinite(value) ? value : null;
}

function drawSpark(id) {
  const row = entities.get(id)?.row;
  const line = row?.querySelector(".spark polyline");
  if (!line) return;
  const points = (histories.get(id) || []).filter((p) => typeof p[1] === "number");
  if (points.length === 0) { line.setAttribute("points", ""); return; }
  if (points.length === 1) { line.setAttribute("points", "0,10 100,10"); return; }
  const t0 = points[0][0], t1 = points[points.length - 1][0];
  const values = points.map((p) => p[1]);
  const low = Math.min(...values), high = Math.max(...values);
  const x = (t) => (t1 === t0 ? 100 : ((t - t0) / (t1 - t0)) * 100);
  const y = (v) => (high === low ? 10 : 19 - ((v - low) / (high - low)) * 18);
  line.setAttribute("points", points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" "));
}

// -- the live connection -------------------------------------------------------------------

function connect() {
  if (source) source.close();
  source = new EventSource("/api/stream");
  source.addEventListener("snapshot", async (event) => {
    heard();
    const states = JSON.parse(event.data);
    try { await refreshInfo(); } catch (error) { /* the next snapshot tries again */ }
    for (const state of states) applyState(state);
  });
  source.addEventListener("state", (event) => { heard(); applyState(JSON.parse(event.data)); });
  source.addEventListener("remove", (event) => { heard(); removeEntity(JSON.parse(event.data).entity_id); });
  source.addEventListener("ping", heard);
  source.addEventListener("error", () => {
    setOnline(false);
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
  });
}

function heard() {
  lastHeard = Date.now();
  setOnline(true);
}

function setOnline(value) {
  if (value === online) return;
  online = value;
  $("lost").hidden = value;
  document.body.classList.toggle("stale", !value);
  setPill($("link"), value ? "live" : "connection lost", value ? "good" : "bad");
}

setInterval(() => {
  if (online && Date.now() - lastHeard > SILENCE_MS) { setOnline(false); connect(); }
}, 5000);

// -- health and log ------------------------------------------------------------------------

async function poll() {
  try {
    const [info, health, logs] = await Promise.all([
      getJson("/api/info"), getJson("/api/health"), getJson("/api/logs"),
    ]);
    showDevice(info);
    showHealth(health);
    showLogs(logs);
  } catch (error) { /* shown by the stream's state */ }
}

function showHealth(health) {
  const mqtt = health.mqtt;
  const rows = [
    ["Uptime", duration(health.uptime_s)],
    ["Loop lag", `${health.loop_lag_ms.p50} ms (max ${health.loop_lag_ms.max} ms)`],
    ["Thread pool", `${health.executor.busy}/${health.executor.workers} busy, ${health.executor.queued} queued`],
    ["Memory", `${health.rss_mb} MiB`],
    ["Entities", `${health.entities.total} (${health.entities.unavailable} unavailable)`],
  ];
  if (mqtt) {
    rows.push(["MQTT", mqtt.connected ? "connected" : "disconnected"]);
    rows.push(["Messages", `${mqtt.published} out, ${mqtt.received} in, ${mqtt.dropped} dropped, ${mqtt.queued} queued`]);
    rows.push(["Reconnects", String(mqtt.reconnects)]);
  }
  const list = $("health");
  list.replaceChildren(...rows.flatMap(([term, value]) => {
    const dt = document.createElement("dt"); dt.textContent = term;
    const dd = document.createElement("dd"); dd.textContent = value;
    return [dt, dd];
  }));
}

function showLogs(records) {
  const list = $("logs");
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  list.replaceChildren(...records.map((record) => {
    const item = document.createElement("li");
    item.className = record.level;
    item.textContent = `${time(record.time * 1000)} ${record.level} ${record.logger}: ${record.message}`;
    return item;
  }));
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function duration(seconds) {
  const s = Math.floor(seconds || 0);
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : m ? `${m} min ${s % 60} s` : `${s} s`;
}

function time(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleTimeString();
}

connect();
poll();
setInterval(poll, POLL_MS);
