// vxbridge commissioning view: pages rendered from /api/..., kept live over /ws.
// Read-only: nothing here writes to a device.
"use strict";

const $main = document.getElementById("main");
const state = { page: "overview", unit: null, rows: new Map(), visible: new Set(), ws: null,
                wsUp: false, observer: null, writes: [], history: new Map(), ess: [] };

// ---- helpers ---------------------------------------------------------------------------
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return e;
}
function fmtNum(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return String(v);
  return String(Math.round(v * 1000) / 1000);
}
function fmtAge(s) {
  if (s === null || s === undefined) return "";
  if (s < 60) return s.toFixed(1) + " s";
  if (s < 3600) return Math.floor(s / 60) + " min";
  return (s / 3600).toFixed(1) + " h";
}
function hex(w) { return w.toString(16).toUpperCase().padStart(4, "0"); }
async function getJSON(path) {
  const r = await fetch(path, { cache: "no-store" });
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}
function card(title, pairs) {
  const dl = el("dl");
  for (const [k, v, id] of pairs) dl.append(el("dt", {}, k), el("dd", id ? { id } : {}, v));
  return el("div", { class: "card" }, el("h2", {}, title), dl);
}
function table(headers, rows) {
  const head = el("tr");
  for (const h of headers) head.append(el("th", { class: h.num ? "num" : "" }, h.title ?? h));
  const body = el("tbody");
  for (const r of rows) body.append(r);
  return el("table", {}, el("thead", {}, head), body);
}

// ---- live updates ------------------------------------------------------------------------
let retry = 500;
function connect() {
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
  state.ws = ws;
  ws.onopen = () => { retry = 500; state.wsUp = true; badge(); subscribe(); };
  ws.onclose = () => {
    state.wsUp = false; badge();
    setTimeout(connect, retry); retry = Math.min(retry * 2, 10000);
  };
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === "error") { console.warn("view:", m.error); return; }
    if (m.rows && m.unit === state.unit) for (const r of m.rows) updateRow(r);
    if (m.unit_gone !== undefined && m.unit_gone === state.unit) $main.prepend(el("p", { class: "muted" }, "unit " + m.unit_gone + " is gone (config reloaded)"));
    if (m.overview && state.page === "overview") renderOverview(m.overview);
    if (m.writes && state.page === "writes") addWrites(m.writes);
    if (m.ess && state.page === "ess") updateEss(m.ess);
  };
}
function badge() {
  const b = document.getElementById("live");
  b.textContent = state.wsUp ? "live" : "offline";
  b.className = "badge " + (state.wsUp ? "on" : "off");
}
let subTimer = null;
function subscribe() {
  clearTimeout(subTimer);
  subTimer = setTimeout(() => {
    if (!state.wsUp) return;
    const topics = state.page === "overview" ? ["overview"] : state.page === "writes" ? ["writes"]
                 : state.page === "ess" ? ["ess"] : [];
    const keys = state.page === "unit" ? [...state.visible].slice(0, 500) : [];
    state.ws.send(JSON.stringify({ unit: state.page === "unit" ? state.unit : null, keys, topics }));
  }, 100);
}

// ---- overview ----------------------------------------------------------------------------
async function showOverview() {
  renderOverview(await getJSON("/api/overview"));
}
function renderOverview(o) {
  if (state.page !== "overview") return;
  document.getElementById("site").textContent = o.site.file;
  const m = o.modbus;
  const devRows = o.devices.map((d) => el("tr", { "data-device": d.name },
    el("td", {}, d.name), el("td", {}, d.driver),
    el("td", {}, el("span", { class: "badge " + (d.up ? "ok" : "bad") }, d.up ? "up" : "down")),
    el("td", { class: "num" }, fmtAge(d.last_good_age_s)), el("td", { class: "num" }, d.requests),
    el("td", { class: "num" }, d.timeouts), el("td", { class: "num" }, d.checksum_errors),
    el("td", { class: "num" }, d.reconnects), el("td", { class: "num" }, d.cycle_ms),
    el("td", { class: "num" }, d.queue_depth)));
  const unitRows = o.units.map((u) => el("tr", {},
    el("td", { class: "num" }, el("a", { href: "#/unit/" + u.id }, String(u.id))),
    el("td", {}, u.map), el("td", {}, u.device),
    el("td", {}, el("span", { class: "badge " + (u.online ? "ok" : "bad") }, u.online ? "online" : "offline")),
    el("td", { class: "num" }, u.registers)));
  $main.replaceChildren(
    el("section", { class: "cards" },
      card("Site", [["config", o.site.file], ["check", o.site.check], ["version", o.site.version],
                    ["uptime", fmtAge(o.site.uptime_s)], ["time (UTC)", o.site.time]]),
      card("Modbus", [["endpoints", m.endpoints.join(", ")], ["connections", m.connections_open + " open, " + m.connections_total + " total"],
                      ["refused", m.connections_refused], ["requests", m.requests],
                      ["exceptions", m.exceptions], ["malformed", m.malformed], ["writes", o.writes]])),
    el("h2", {}, "Device links"),
    table(["device", "driver", "link", { title: "last answer", num: 1 }, { title: "requests", num: 1 },
           { title: "timeouts", num: 1 }, { title: "checksum errors", num: 1 },
           { title: "reconnects", num: 1 }, { title: "cycle ms", num: 1 }, { title: "queue", num: 1 }], devRows),
    el("h2", {}, "Units"),
    table([{ title: "unit", num: 1 }, "map", "device", "state", { title: "registers", num: 1 }], unitRows));
}

// ---- unit register table -----------------------------------------------------------------
async function showUnits() {
  const units = await getJSON("/api/units");
  $main.replaceChildren(el("h2", {}, "Units"), table([{ title: "unit", num: 1 }, "map", "device", { title: "registers", num: 1 }],
    units.map((u) => el("tr", {}, el("td", { class: "num" }, el("a", { href: "#/unit/" + u.id }, String(u.id))),
      el("td", {}, u.map), el("td", {}, u.device), el("td", { class: "num" }, u.registers)))));
}
async function showUnit(id) {
  const u = await getJSON("/api/units/" + id);
  state.unit = u.id;
  state.rows.clear();
  state.visible.clear();
  const filter = el("input", { type: "search", placeholder: "filter by name or address", id: "filter" });
  const trs = u.rows.map((r) => {
    const tr = el("tr", { "data-key": r.key },
      el("td", { class: "num" }, String(r.address)), el("td", {}, r.name, r.description ? el("div", { class: "muted" }, r.description) : ""),
      el("td", {}, r.type + (u.separate_tables ? " · " + r.table : "") + (r.access === "rw" ? " · rw" : "")),
      el("td", { class: "words" }), el("td", { class: "num value" }), el("td", {}, r.unit),
      el("td", { class: "num age" }), el("td", { class: "muted" }, r.source ?? ""));
    tr._row = r;
    state.rows.set(r.key, tr);
    paintRow(tr, r, false);
    return tr;
  });
  filter.oninput = () => {
    const f = filter.value.trim().toLowerCase();
    for (const tr of trs) {
      const r = tr._row;
      tr.hidden = f !== "" && !(String(r.address) === f || r.name.toLowerCase().includes(f));
    }
  };
  $main.replaceChildren(
    el("h2", {}, "Unit " + u.id + ": " + u.map + " (device " + u.device + ")"),
    el("p", { class: "muted" }, u.rows.length + " registers; values older than " + u.max_age_s + " s read as unavailable. Live rows: the ones on screen."),
    filter,
    table([{ title: "address", num: 1 }, "name", "type", "raw words", { title: "value", num: 1 }, "unit", { title: "age", num: 1 }, "source"], trs));
  if (state.observer) state.observer.disconnect();
  state.observer = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const k = e.target.dataset.key;
      if (e.isIntersecting) state.visible.add(k); else state.visible.delete(k);
    }
    subscribe();
  });
  for (const tr of trs) state.observer.observe(tr);
}
function paintRow(tr, r, flash) {
  const c = tr.children;
  c[3].textContent = r.words.map(hex).join(" ");
  const v = r.text !== undefined ? r.text + " (" + fmtNum(r.value) + ")" : fmtNum(r.value);
  c[4].textContent = r.exception && !r.fresh ? "exception" : v;
  c[4].dataset.value = r.value ?? "";
  tr.classList.toggle("stale", r.present && !r.fresh);
  tr.classList.toggle("missing", !r.present);
  tr._age = r.constant ? null : r.age_s;
  tr._at = performance.now();
  c[6].textContent = r.constant ? "constant" : fmtAge(r.age_s);
  if (flash) { tr.classList.add("flash"); setTimeout(() => tr.classList.remove("flash"), 400); }
}
function updateRow(r) {
  const tr = state.rows.get(r.key);
  if (!tr) return;
  const changed = tr._row.value !== r.value;
  Object.assign(tr._row, r);
  paintRow(tr, tr._row, changed);
}
setInterval(() => {  // ages move on between updates
  if (state.page !== "unit") return;
  for (const k of state.visible) {
    const tr = state.rows.get(k);
    if (tr && tr._age !== null && tr._age !== undefined)
      tr.children[6].textContent = fmtAge(tr._age + (performance.now() - tr._at) / 1000);
  }
}, 1000);

// ---- writes ------------------------------------------------------------------------------
async function showWrites() {
  const w = await getJSON("/api/writes");
  state.writes = [];
  $main.replaceChildren(el("h2", {}, "The last 100 writes"),
    table(["time (UTC)", "client", { title: "unit", num: 1 }, { title: "register", num: 1 }, "name", "value", "outcome", { title: "latency ms", num: 1 }], []));
  addWrites(w.writes);
}
function addWrites(list) {
  const body = $main.querySelector("tbody");
  if (!body) return;
  for (const w of list) {
    if (state.writes.some((x) => x.seq === w.seq)) continue;
    state.writes.push(w);
    const value = w.value !== undefined ? fmtNum(w.value) + (w.unit_of_value ? " " + w.unit_of_value : "") : w.values.join(", ");
    body.prepend(el("tr", { "data-seq": w.seq },
      el("td", {}, w.time.replace("T", " ").replace("Z", "")), el("td", {}, w.client),
      el("td", { class: "num" }, w.unit), el("td", { class: "num" }, w.address), el("td", {}, w.register ?? ""),
      el("td", {}, value), el("td", {}, el("span", { class: "badge " + (w.exception ? "bad" : "ok") }, w.outcome)),
      el("td", { class: "num" }, w.latency_ms)));
  }
  while (body.children.length > 100) body.lastChild.remove();
}

// ---- ESS ---------------------------------------------------------------------------------
const MODES = { 1: "optimized with BatteryLife / keep charged", 2: "optimized, per phase", 3: "external control" };
const STATES = ["external control", "regulating", "passthru (stale measurement or link lost)", "waiting for a measurement"];
const BL = ["unused", "restarting", "self-consumption", "SoC > 85 %", "SoC > 95 %", "discharge disabled",
            "slow charge", "sustain", "low SoC recharge", "keep charged", "optimized (no BatteryLife)",
            "below minimum SoC", "recharge"];
const LIMITED = ["", "max charge", "max discharge", "discharge blocked", "force charge", "max feed-in"];
async function showEss() {
  const h = await getJSON("/api/ess/history");
  state.history.clear();
  $main.replaceChildren();
  if (h.loops.length === 0) { $main.append(el("p", {}, "This site runs no ESS loop.")); return; }
  for (const l of h.loops) {
    state.history.set(l.name, l.history);
    $main.append(el("div", { id: "ess-" + l.name }));
  }
  updateEss(h.loops);
}
function updateEss(loops) {
  for (const l of loops) {
    const box = document.getElementById("ess-" + l.name);
    if (!box) continue;
    const f = l.figures;
    const hist = state.history.get(l.name) || [];
    if (l.latest && (!hist.length || hist[hist.length - 1][0] !== l.latest[0])) hist.push(l.latest);
    while (hist.length > 600) hist.shift();
    state.history.set(l.name, hist);
    const w = (v) => (v === null || v === undefined ? "–" : fmtNum(Math.round(v)) + " W");
    const phases = ["ess_setpoint_l1_w", "ess_setpoint_l2_w", "ess_setpoint_l3_w"].map((k) => f[k]).filter((v) => v !== null && v !== undefined);
    let canvas = box.querySelector("canvas");
    if (!canvas) {
      canvas = el("canvas", { width: 960, height: 280 });
      box.replaceChildren(el("h2", {}, "ESS loop of " + l.name), el("section", { class: "cards" }), canvas,
        el("div", { class: "legend" }, el("span", { class: "l-grid" }, "— measured grid"),
          el("span", { class: "l-target" }, "— target"), el("span", { class: "l-setpoint" }, "— setpoint"),
          el("span", { class: "muted" }, "last 10 minutes")));
    }
    box.querySelector("section").replaceChildren(
      card("Regulation", [["mode (2902)", f.hub4_mode + " " + (MODES[f.hub4_mode] ?? "")],
        ["state", STATES[f.ess_state] ?? f.ess_state, "ess-state"], ["target", w(f.ess_target_w), "ess-target"],
        ["measured grid", w(f.ess_grid_w), "ess-grid"], ["on", f.ess_meter_in_use ? "grid meter" : "the Multi's AC input"],
        ["setpoint", w(f.ess_setpoint_w), "ess-setpoint"],
        ["per phase", phases.length > 1 ? phases.map(w).join(" / ") : "–"]]),
      card("Limits in force", [["max charge", w(f.ess_max_charge_w)], ["max discharge", w(f.ess_max_discharge_w)],
        ["max feed-in", f.ess_max_feed_in_w === null || f.ess_max_feed_in_w === undefined ? "none" : w(f.ess_max_feed_in_w)],
        ["shaped by", LIMITED[f.ess_limited] || "nothing"], ["grid setpoint (2700)", w(f.ac_power_setpoint)]]),
      card("BatteryLife", [["state (2900)", f.batterylife_state + " " + (BL[f.batterylife_state] ?? "")],
        ["SoC limit (2903)", fmtNum(f.soc_limit) + " %"], ["minimum SoC (2901)", fmtNum(f.minimum_soc) + " %"],
        ["active SoC limit", f.ess_active_soc_limit === null ? "–" : fmtNum(f.ess_active_soc_limit) + " %"]]));
    plot(canvas, hist);
  }
}
function plot(canvas, hist) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, pad = 48;
  ctx.clearRect(0, 0, W, H);
  const now = hist.length ? hist[hist.length - 1][0] : Date.now();
  const t0 = now - 600000;
  let lo = Infinity, hi = -Infinity;
  for (const p of hist) for (const v of [p[1], p[2], p[3]]) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!isFinite(lo)) { lo = -1000; hi = 1000; }
  if (hi - lo < 200) { lo -= 100; hi += 100; }
  const x = (t) => pad + ((t - t0) / 600000) * (W - pad - 8);
  const y = (v) => H - 20 - ((v - lo) / (hi - lo)) * (H - 30);
  ctx.strokeStyle = "#d6dce5"; ctx.fillStyle = "#556"; ctx.font = "11px sans-serif";
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    ctx.beginPath(); ctx.moveTo(pad, y(v)); ctx.lineTo(W - 8, y(v)); ctx.stroke();
    ctx.fillText(Math.round(v) + " W", 2, y(v) + 4);
  }
  for (let m = 0; m <= 10; m += 2)
    ctx.fillText(m === 10 ? "now" : "-" + (10 - m) + " min", x(t0 + m * 60000) - (m === 10 ? 24 : 14), H - 4);
  const line = (i, color) => {
    ctx.strokeStyle = color; ctx.lineWidth = 1.5; ctx.beginPath();
    let started = false;
    for (const p of hist) {
      if (p[i] === null || p[0] < t0) { started = false; continue; }
      if (!started) { ctx.moveTo(x(p[0]), y(p[i])); started = true; } else ctx.lineTo(x(p[0]), y(p[i]));
    }
    ctx.stroke();
  };
  line(3, "#2e7d32"); line(2, "#e65100"); line(1, "#1565c0");
}

// ---- routing -----------------------------------------------------------------------------
async function route() {
  const h = location.hash.replace(/^#\/?/, "");
  const [page, arg] = h.split("/");
  state.page = page === "unit" ? "unit" : page || "overview";
  state.unit = null;
  if (state.observer) { state.observer.disconnect(); state.observer = null; }
  state.visible.clear();
  for (const a of document.querySelectorAll("nav a"))
    a.classList.toggle("active", a.dataset.page === (state.page === "unit" ? "units" : state.page));
  try {
    if (state.page === "unit") await showUnit(Number(arg));
    else if (state.page === "units") await showUnits();
    else if (state.page === "writes") await showWrites();
    else if (state.page === "ess") await showEss();
    else await showOverview();
  } catch (e) {
    $main.replaceChildren(el("p", {}, String(e.message || e)));
  }
  subscribe();
}
window.addEventListener("hashchange", route);
route();
connect();
