// The run view: live over the WebSocket, or replayed from the stored events with a scrubber.

import { fetchEvents, getRun, runSocket } from "./api.js";
import { Charts } from "./charts.js";
import { escapeHtml, EventLog } from "./eventlog.js";
import { POOL_KINDS } from "./layout.js";
import { COLORS, Stage } from "./player.js";
import { RunState } from "./runstate.js";
import { SagaView } from "./sagaview.js";
import { GatherView } from "./gatherview.js";
import { StageView } from "./stageview.js";

const FINISHED = new Set(["finished", "failed", "cancelled"]);
const SPEEDS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100];
const MIN_VISIBLE_WALL_MS = 450; // a hop shorter than this is stretched so the eye can follow it

const boot = JSON.parse(document.getElementById("run-boot").textContent);
const doc = boot.document;
const $ = (sel) => document.querySelector(sel);

const state = new RunState(doc);
const events = []; // every event received, seq 0..n-1 without gaps
let cursor = 0; // events[cursor] is the next one to apply
let now = 0; // the display clock, simulated ms
let status = boot.status;
let mode = FINISHED.has(status) ? "replay" : "live";
let playing = true;
let speed = boot.speed || 1;
let selection = null;
let socket = null;
let filling = false; // fetching a gap over HTTP
const pendingLive = [];

const stage = new Stage($("#stage"), doc, { onSelect: (s) => select(s) });
const charts = new Charts($("#charts"), (doc.nodes || []).filter((n) => POOL_KINDS.has(n.kind) || n.kind === "database").map((n) => n.id));
const sagas = SagaView.mount($("#sagas"), doc); // null unless there is an orchestrator or a broker
const gathers = GatherView.mount($("#gathers"), doc, { runId: boot.id }); // null without an aggregator
const stages = StageView.mount($("#stages"), doc, { stage, owner: boot.owner, send: (m) => send(m), isLive: () => mode === "live" && !FINISHED.has(status) }); // null without pipes or brokers
stage.onRebuild = () => stages?.renderBadges(); // the badges hang off the SVG the stage rebuilt
const log = new EventLog($("#event-log"), { onPick: (e) => select({ node: e.lb, pick: e }) });

window.playground = { state, events, charts, get now() { return now; }, get mode() { return mode; }, get status() { return status; }, stage, seek: (t) => seek(t) };

// ---- receiving events -------------------------------------------------------

function accept(batch) {
  for (const e of batch) {
    if (e.seq < events.length) continue; // a duplicate
    if (e.seq > events.length) return false; // a gap: fetch it
    events.push(e);
  }
  return true;
}

async function fillGap() {
  if (filling) return;
  filling = true;
  try {
    const missing = await fetchEvents(boot.id, events.length - 1);
    accept(missing);
    const rest = pendingLive.splice(0).sort((a, b) => a.seq - b.seq);
    accept(rest);
  } finally {
    filling = false;
  }
}

function onBatch(batch) {
  if (filling) { pendingLive.push(...batch); return; }
  if (!accept(batch)) { pendingLive.push(...batch); fillGap(); }
}

function connect() {
  socket = runSocket(boot.id, events.length - 1);
  socket.addEventListener("message", (msg) => {
    const data = JSON.parse(msg.data);
    if (data.type === "events") onBatch(data.events || []);
    else if (data.type === "status") setStatus(data.status, data.reason);
  });
  socket.addEventListener("close", () => {
    if (!FINISHED.has(status)) setTimeout(connect, 1000); // reconnect, resuming after the last seq
  });
}

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(message)); return true; }
  flash("Not connected to the run.");
  return false;
}

async function setStatus(next, reason) {
  status = next;
  const badge = $("#run-status");
  badge.textContent = next;
  badge.className = `badge status-${next}`;
  $("#run-reason").textContent = reason || "";
  $("#btn-play").setAttribute("aria-pressed", String(mode === "live" ? next !== "paused" : playing));
  updatePlayLabel();
  if (FINISHED.has(next)) {
    await fillGap();
    const run = await getRun(boot.id);
    if (run.events !== undefined && run.events > events.length) { await fillGap(); }
    showSummary(run.summary, run.reason);
    enterReplay(false);
  }
}

// ---- the clock --------------------------------------------------------------

function endT() { return events.length ? events[events.length - 1].t : 0; }

function applyUntil(t) {
  while (cursor < events.length && events[cursor].t <= t) {
    const e = events[cursor++];
    state.apply(e);
    log.push(e);
    sagas?.push(e);
    gathers?.push(e);
    stages?.push(e);
  }
}

let lastWall = performance.now();
let lastSlow = 0, lastCharts = 0;

function frame(wall) {
  const dt = Math.min(250, wall - lastWall);
  lastWall = wall;
  const horizon = endT();
  if (mode === "live") {
    const rate = boot.speed ? speed : Math.max(1, (horizon - now) / 500); // "max": follow what arrives
    const lag = 250 * rate;
    if (horizon - now > Math.max(4000 * rate, 2000)) now = horizon - lag; // fell far behind (hidden tab)
    now = Math.min(horizon, now + dt * rate);
  } else if (playing) {
    // Past the last event by one hop, so the last messages arrive instead of freezing.
    const end = horizon + MIN_VISIBLE_WALL_MS * speed;
    now = Math.min(end, now + dt * speed);
    if (now >= end) { playing = false; updatePlayLabel(); }
  }
  applyUntil(now);
  const minVisible = MIN_VISIBLE_WALL_MS * (mode === "live" && !boot.speed ? 1 : speed);
  state.prune(now, minVisible);
  stage.draw(state, now, { minVisible, markerWindow: 1800 * speed, flashWindow: 700 * speed, wallNow: wall });
  if (wall - lastSlow > 150) { lastSlow = wall; slowUpdate(); }
  if (wall - lastCharts > 500) { lastCharts = wall; charts.update(state.series()); log.render(); sagas?.render(events, now); gathers?.render(); stages?.render(); }
  requestAnimationFrame(frame);
}

function slowUpdate() {
  stage.updateSvg(state, now);
  $("#clock").textContent = `t = ${(Math.min(now, endT()) / 1000).toFixed(2)} s`;
  const c = state.counts;
  setCounter("started", c.started);
  setCounter("ok", c.ok);
  setCounter("failed", c.failed);
  setCounter("rejected", c.rejected);
  setCounter("timed_out", c.timed_out);
  setCounter("inflight", state.inFlightRequests());
  setCounter("picks", c.picks);
  setCounter("events", state.eventsApplied);
  const notice = $("#sample-notice");
  const inFlight = state.inflight.length;
  if (stage.sampleN > 1) {
    notice.hidden = false;
    notice.textContent = `Showing 1 in ${stage.sampleN} messages (${inFlight.toLocaleString()} in flight) — counters are exact`;
  } else notice.hidden = true;
  if (mode === "replay") {
    const scrub = $("#scrubber");
    if (document.activeElement !== scrub) scrub.value = String(Math.round(Math.min(now, endT())));
    $("#scrub-time").textContent = `${(Math.min(now, endT()) / 1000).toFixed(2)} / ${(endT() / 1000).toFixed(2)} s`;
  }
  renderInspector();
}

function setCounter(name, value) {
  const node = document.querySelector(`[data-counter="${name}"]`);
  if (node && node.dataset.value !== String(value)) { node.dataset.value = String(value); node.textContent = value.toLocaleString(); }
}

// ---- replay -----------------------------------------------------------------

function enterReplay(fromStart) {
  mode = "replay";
  if (socket) { socket.onclose = null; socket.close(); socket = null; }
  document.body.classList.add("replay");
  $("#speed-label").textContent = "(replay speed)";
  const scrub = $("#scrubber");
  scrub.max = String(Math.ceil(endT()));
  scrub.disabled = false;
  $("#scrubber-row").hidden = false;
  for (const b of document.querySelectorAll(".owner-live")) b.disabled = true;
  if (fromStart) { seek(0); playing = true; }
  updatePlayLabel();
}

// The state at T, rebuilt from the first event: the same fold as live, so the same view.
function seek(t) {
  t = Math.max(0, Math.min(endT(), t));
  state.reset();
  log.clear();
  sagas?.clear();
  gathers?.clear();
  stages?.clear();
  cursor = 0;
  now = t;
  applyUntil(t);
  state.prune(now, MIN_VISIBLE_WALL_MS * speed);
  for (const b of state.buckets) if (b !== state.openBucket && b.p50 === null && b.lat.length) state._close(b);
  slowUpdate();
  charts.update(state.series());
  log.dirty = true;
  log.render();
}

function step() {
  if (mode === "live") { send({ action: "step" }); return; }
  playing = false;
  updatePlayLabel();
  if (cursor < events.length) {
    const t = events[cursor].t;
    now = t;
    applyUntil(t);
    slowUpdate();
    log.render();
  }
}

function togglePlay() {
  if (mode === "live") {
    if (!boot.owner) return flash("Only the run's owner can pause it.");
    send({ action: status === "paused" ? "resume" : "pause" });
    return;
  }
  if (!playing && now >= endT()) seek(0);
  playing = !playing;
  updatePlayLabel();
}

function updatePlayLabel() {
  const button = $("#btn-play");
  const paused = mode === "live" ? status === "paused" : !playing;
  button.textContent = paused ? "▶ Play" : "❚❚ Pause";
  button.setAttribute("aria-pressed", String(!paused));
}

function setSpeed(value) {
  speed = value;
  $("#speed").value = String(value);
  if (mode === "live" && boot.owner) send({ action: "speed", speed: value });
}

// ---- inspector: picks with their reasons, instance details, faults ----------

function select(s) {
  selection = s;
  stage.highlight(s);
  renderInspector(true);
}

let inspectorKey = "";
function renderInspector(force = false) {
  const box = $("#inspector");
  const sel = selection || defaultSelection();
  if (!sel) { box.innerHTML = `<p class="muted">Click a node or an instance to see its details${boot.owner && mode === "live" ? " and inject a fault" : ""}.</p>`; return; }
  const node = (doc.nodes || []).find((n) => n.id === sel.node);
  if (!node) return;
  let html = "";
  if (node.kind === "load_balancer") {
    const pick = sel.pick || state.picks.get(node.id);
    html = `<h3>⚖ ${escapeHtml(node.label || node.id)} <span class="muted">${escapeHtml((node.algorithm || "round_robin").replaceAll("_", " "))}</span></h3>`;
    if (pick) {
      html += `<p class="pick-line" id="pick-reason"><strong>Picked ${escapeHtml(pick.chosen)}</strong> for request ${escapeHtml(pick.req)} at ${(pick.t / 1000).toFixed(3)} s${pick.session !== undefined && pick.session !== null ? `, session ${escapeHtml(pick.session)}` : ""}.<br><span class="reason">Why: ${escapeHtml(pick.reason || "—")}</span></p>`;
      html += `<table class="table compact candidates"><thead><tr><th scope="col">candidate</th><th scope="col">load</th><th scope="col">picks so far</th></tr></thead><tbody>`;
      const counts = state.pickCounts.get(node.id) || new Map();
      for (const c of pick.candidates || []) {
        html += `<tr class="${c.target === pick.chosen ? "chosen" : ""}"><td>${c.target === pick.chosen ? "➜ " : ""}${escapeHtml(c.target)}</td><td>${escapeHtml(c.load)}</td><td>${counts.get(c.target) || 0}</td></tr>`;
      }
      html += `</tbody></table>`;
    } else html += `<p class="muted">No pick yet.</p>`;
  } else {
    const name = sel.instance;
    html = `<h3>${escapeHtml(name || node.label || node.id)} <span class="muted">${escapeHtml(node.kind.replace("_", " "))}</span></h3>`;
    const insts = [...state.instances.values()].filter((i) => (name ? i.name === name : i.node === node.id));
    if (insts.length) {
      html += `<table class="table compact"><thead><tr><th scope="col">instance</th><th scope="col">state</th><th scope="col">working</th><th scope="col">queued</th><th scope="col">done</th></tr></thead><tbody>`;
      for (const i of insts) html += `<tr class="${i.up ? "" : "is-down"}"><td>${escapeHtml(i.name)}</td><td>${i.up ? (i.slowUntil > now ? "slow" : "up") : "DOWN"}</td><td>${i.busy.size}</td><td>${state.queued(i.name)}</td><td>${i.processed}</td></tr>`;
      html += `</tbody></table>`;
    }
  }
  if (boot.owner && mode === "live") html += faultButtons(node, sel.instance);
  const key = html;
  if (!force && key === inspectorKey) return;
  inspectorKey = key;
  box.innerHTML = html;
}

function defaultSelection() {
  const lb = (doc.nodes || []).find((n) => n.kind === "load_balancer");
  return lb ? { node: lb.id } : null;
}

function faultButtons(node, instance) {
  if (!POOL_KINDS.has(node.kind) && node.kind !== "database" && node.kind !== "orchestrator" && node.kind !== "load_balancer") return "";
  const index = instance ? Number(instance.split("#")[1]) : null;
  let html = `<div class="faults" role="group" aria-label="Inject a fault"><h4>Inject a fault</h4><label>for <input id="fault-for" type="number" min="0" step="1" value="" placeholder="until the end" size="6"> s</label><div class="fault-buttons">`;
  if (instance) html += `<button type="button" class="danger owner-live" data-fault='${JSON.stringify({ kind: "crash", node: node.id, instance: index })}'>Crash ${escapeHtml(instance)}</button>`;
  if (instance) html += `<button type="button" class="owner-live" data-fault='${JSON.stringify({ kind: "slow", node: node.id, instance: index, factor: 10 })}'>Slow ${escapeHtml(instance)} ×10</button>`;
  html += `<button type="button" class="danger owner-live" data-fault='${JSON.stringify({ kind: "crash", node: node.id })}'>Crash all of ${escapeHtml(node.id)}</button>`;
  for (const zone of node.zones || []) html += `<button type="button" class="danger owner-live" data-fault='${JSON.stringify({ kind: "zone_down", zone })}'>Zone ${escapeHtml(zone)} down</button>`;
  return html + `</div></div>`;
}

$("#inspector").addEventListener("click", (ev) => {
  const button = ev.target.closest("[data-fault]");
  if (!button) return;
  const fault = JSON.parse(button.dataset.fault);
  const seconds = Number($("#fault-for")?.value);
  if (seconds > 0) fault.for_ms = seconds * 1000;
  if (send({ action: "fault", fault })) flash(`Sent: ${button.textContent}`);
});

// ---- summary ------------------------------------------------------------------

function showSummary(summary, reason) {
  const box = $("#summary");
  if (!summary) { box.hidden = true; return; }
  box.hidden = false;
  const r = summary.requests || {}, l = summary.latency_ms || {};
  const f = (v) => (v === undefined || v === null ? "—" : Number(v).toLocaleString(undefined, { maximumFractionDigits: 1 }));
  let html = `<h2>Summary</h2>${reason ? `<p>${escapeHtml(reason)}</p>` : ""}<div class="summary-grid">`;
  html += `<dl><dt>started</dt><dd>${f(r.started)}</dd><dt>completed</dt><dd>${f(r.completed)}</dd><dt>failed</dt><dd>${f(r.failed)}</dd><dt>rejected</dt><dd>${f(r.rejected)}</dd><dt>timed out</dt><dd>${f(r.timed_out)}</dd></dl>`;
  html += `<dl><dt>mean</dt><dd>${f(l.mean)} ms</dd><dt>p50</dt><dd>${f(l.p50)} ms</dd><dt>p95</dt><dd>${f(l.p95)} ms</dd><dt>p99</dt><dd>${f(l.p99)} ms</dd><dt>max</dt><dd>${f(l.max)} ms</dd></dl>`;
  html += `</div><table class="table compact"><thead><tr><th scope="col">node</th><th scope="col">processed</th><th scope="col">failed</th><th scope="col">rejected</th><th scope="col">utilisation</th><th scope="col">queue max</th></tr></thead><tbody>`;
  for (const [id, n] of Object.entries(summary.nodes || {})) {
    html += `<tr><td>${escapeHtml(id)}</td><td>${f(n.processed)}</td><td>${f(n.failed)}</td><td>${f(n.rejected)}</td><td>${n.utilization === undefined ? "—" : (n.utilization * 100).toFixed(1) + " %"}</td><td>${f(n.queue_max)}</td></tr>`;
  }
  html += `</tbody></table>`;
  for (const [lb, counts] of Object.entries(summary.load_balancers || {})) {
    html += `<p><strong>${escapeHtml(lb)}</strong> sent: ${Object.entries(counts).map(([k, v]) => `${escapeHtml(k)} ${f(v)}`).join(" · ")}</p>`;
  }
  box.innerHTML = html;
}

// ---- messages, keys, start --------------------------------------------------

let flashTimer = null;
function flash(text) {
  const line = $("#flash");
  line.textContent = text;
  line.hidden = false;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { line.hidden = true; }, 3500);
}

$("#btn-play").addEventListener("click", togglePlay);
$("#btn-step").addEventListener("click", step);
$("#speed").addEventListener("input", (ev) => setSpeed(Number(ev.target.value)));
$("#scrubber").addEventListener("input", (ev) => { playing = false; updatePlayLabel(); seek(Number(ev.target.value)); });
$("#btn-restart").addEventListener("click", () => { seek(0); playing = true; updatePlayLabel(); });
// Presentation mode: for a projector, the canvas and the counters large, the rest hidden.
function present(on) {
  document.body.classList.toggle("presenting", on);
  $("#btn-present").setAttribute("aria-pressed", String(on));
  $("#btn-present").textContent = on ? "▣ Leave (Esc)" : "▣ Present";
  if (on) window.scrollTo(0, 0);
}
$("#btn-present").addEventListener("click", () => present(!document.body.classList.contains("presenting")));
$("#btn-help").addEventListener("click", () => $("#help").showModal());
// Whoever closed "What to watch" once has read it: keep it closed on their next runs.
const watch = $("#watch");
if (watch) {
  if (localStorage.getItem("watch-open") === "0") watch.open = false;
  watch.addEventListener("toggle", () => localStorage.setItem("watch-open", watch.open ? "1" : "0"));
  const text = watch.querySelector("p"), more = $("#btn-read-all");
  more.hidden = text.scrollHeight <= text.clientHeight + 2; // short enough to show whole
  more.addEventListener("click", () => {
    const all = watch.classList.toggle("clamped") === false;
    more.textContent = all ? "Show less" : "Read all";
    more.setAttribute("aria-expanded", String(all));
  });
}

document.addEventListener("keydown", (ev) => {
  if (ev.target.closest("input, select, textarea") && ev.target.type !== "range") return;
  if (ev.target.closest("dialog") || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.key === " " && !ev.target.closest("button, [role=button]")) { ev.preventDefault(); togglePlay(); }
  else if (ev.key === "s") { ev.preventDefault(); step(); }
  else if (ev.key === "f") { ev.preventDefault(); stage.fit(); }
  else if (ev.key === "+" || ev.key === "=") { ev.preventDefault(); stage.zoomBy(1.25); }
  else if (ev.key === "-") { ev.preventDefault(); stage.zoomBy(0.8); }
  else if (ev.key === "p") { ev.preventDefault(); present(!document.body.classList.contains("presenting")); }
  else if (ev.key === "?") { ev.preventDefault(); $("#help").showModal(); }
  else if (ev.key === "Escape") { if (document.body.classList.contains("presenting")) present(false); else select(null); }
});

const speedSelect = $("#speed");
for (const s of SPEEDS) { const o = document.createElement("option"); o.value = String(s); o.textContent = `${s}×`; speedSelect.appendChild(o); }
if (!SPEEDS.includes(speed)) { const o = document.createElement("option"); o.value = String(speed); o.textContent = `${speed}×`; speedSelect.appendChild(o); }
speedSelect.value = String(speed);
$("#speed-label").textContent = boot.speed ? "" : "(the run goes as fast as it can)";
$("#legend-request").style.color = COLORS.request;
$("#legend-reply").style.color = COLORS.reply;

async function start() {
  requestAnimationFrame(frame);
  if (mode === "replay") {
    const loading = $("#loading");
    loading.hidden = false;
    const total = (await getRun(boot.id)).events;
    await fetchEvents(boot.id, -1, (page) => {
      accept(page);
      loading.textContent = `Loading the stored events… ${events.length.toLocaleString()}${total ? " of " + total.toLocaleString() : ""}`;
    });
    loading.hidden = true;
    showSummary(boot.summary, "");
    enterReplay(true);
  } else {
    $("#scrubber-row").hidden = true;
    connect();
  }
}
start();
