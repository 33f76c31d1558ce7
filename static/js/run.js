// The run view: live over the WebSocket, or replayed from the stored events with a scrubber.

import { fetchEvents, getRun, runSocket } from "./api.js";
import { Charts } from "./charts.js";
import { escapeHtml, h } from "./dom.js";
import { EventLog } from "./eventlog.js";
import { KIND_STYLE, POOL_KINDS } from "./layout.js";
import { COLORS, Stage } from "./player.js";
import { RunState } from "./runstate.js";
import { SagaView } from "./sagaview.js";
import { GatherView } from "./gatherview.js";
import { LaneView, watchFigures } from "./laneview.js";
import { StageView } from "./stageview.js";
import { Classroom } from "./classroom.js";
import { reasonWords } from "./reasons.js";
import { gettext, interpolate, word } from "./i18n.js";
import { LessonView } from "./lesson.js";

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
let halted = false; // a lesson step paused the replay at the event just applied
const pendingLive = [];
let classroom = null; // static/js/classroom.js, mounted at the end (not in an embedded player)

const stage = new Stage($("#stage"), doc, { onSelect: (s) => select(s) });
const charts = new Charts($("#charts"), (doc.nodes || []).filter((n) => POOL_KINDS.has(n.kind) || n.kind === "database").map((n) => n.id));
const sagas = SagaView.mount($("#sagas"), doc); // null unless there is an orchestrator or a broker
const gathers = GatherView.mount($("#gathers"), doc, { runId: boot.id }); // null without an aggregator
const stages = StageView.mount($("#stages"), doc, { stage, owner: boot.owner, send: (m) => send(m), isLive: () => mode === "live" && !FINISHED.has(status) }); // null without pipes or brokers
stage.onRebuild = () => stages?.renderBadges(); // the badges hang off the SVG the stage rebuilt
const lanes = LaneView.mount($("#lanes"), doc); // null unless two or more clients or sources
let finalSummary = null; // the run's summary once it has ended
const log = new EventLog($("#event-log"), { onPick: (e) => select({ node: e.lb, pick: e }) });
// The lesson (static/js/lesson.js): null without one; it pauses, plays and seeks through these.
const lesson = LessonView.mount(boot.lesson, doc, {
  events: () => events, mode: () => mode, endT: () => endT(),
  canPause: () => mode === "replay" || boot.owner,
  // At a step (`at`, its event's time) a replay stops right there, the events after it unapplied.
  pause: (at) => { if (mode !== "live") { playing = false; updatePlayLabel(); if (at !== undefined) { now = at; halted = true; } } else if (boot.owner) send({ action: "pause" }); },
  // Live, whatever the status says: a pause sent a moment ago may not be reported yet.
  play: () => { if (mode !== "live") { playing = now < endT(); updatePlayLabel(); } else if (boot.owner) send({ action: "resume" }); },
  // A marker or a step's time: the user's own touch, which ends a student's following first.
  seek: (t) => { classroom?.changed(); playing = false; updatePlayLabel(); seek(t); },
  following: () => Boolean(classroom?.following),
  moved: () => classroom?.lessonMoved(),
}).view;

window.playground = { state, events, charts, lanes, get now() { return now; }, get mode() { return mode; }, get status() { return status; }, get playing() { return playing; }, get speed() { return speed; }, stage, seek: (t) => seek(t) };

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
  socket.addEventListener("open", () => lesson?.begin()); // the question first: pauses the run
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
  flash(gettext("Not connected to the run."));
  return false;
}

async function setStatus(next, reason) {
  status = next;
  const badge = $("#run-status");
  badge.textContent = word(next);
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
    lesson?.finish(run.summary);
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
    lanes?.push(e);
    lesson?.push(e);
    if (halted) { halted = false; break; }
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
  if (wall - lastCharts > 500) { lastCharts = wall; charts.update(state.series()); log.render(); sagas?.render(events, now); gathers?.render(); stages?.render(); updateFigures(); }
  requestAnimationFrame(frame);
}

function slowUpdate() {
  stage.updateSvg(state, now);
  $("#clock").textContent = `t = ${(Math.min(now, endT()) / 1000).toFixed(2)} s`;
  const c = state.counts;
  setCounter("started", c.started);
  setCounter("ok", c.ok);
  setCounter("failed", c.failed);
  setCounter("node_failed", c.node_failed);
  setCounter("rejected", c.rejected);
  setCounter("timed_out", c.timed_out);
  setCounter("inflight", state.inFlightRequests());
  setCounter("picks", c.picks);
  setCounter("events", state.eventsApplied);
  const notice = $("#sample-notice");
  if (stage.sampleN > 1) {
    // The simulation's figures at this moment, not the dots the stage keeps to draw.
    const moving = state.inTransit(now);
    const open = state.inFlightRequests();
    notice.hidden = false;
    notice.textContent = interpolate(gettext("Showing 1 in %(n)s dots: %(moving)s in transit, %(open)s in flight — counters are exact"), {
      n: stage.sampleN,
      moving: interpolate(ngettext("%(n)s message", "%(n)s messages", moving), { n: moving.toLocaleString() }, true),
      open: interpolate(ngettext("%(n)s request", "%(n)s requests", open), { n: open.toLocaleString() }, true),
    }, true);
  } else notice.hidden = true;
  if (mode === "replay") {
    const scrub = $("#scrubber");
    if (document.activeElement !== scrub) scrub.value = String(Math.round(Math.min(now, endT())));
    $("#scrub-time").textContent = `${(Math.min(now, endT()) / 1000).toFixed(2)} / ${(endT() / 1000).toFixed(2)} s`;
  }
  renderInspector();
  lesson?.frame(now, endT(), FINISHED.has(status));
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
  $("#speed-label").textContent = gettext("(replay speed)");
  const scrub = $("#scrubber");
  scrub.max = String(Math.ceil(endT()));
  scrub.disabled = false;
  $("#scrubber-row").hidden = false;
  $("#scrubber-row").append($(".run-exports")); // beside the scrubber: the controls' row keeps to one line
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
  lanes?.clear();
  lesson?.clear();
  cursor = 0;
  now = t;
  applyUntil(t);
  lesson?.settle();
  state.prune(now, MIN_VISIBLE_WALL_MS * speed);
  state.closePastBuckets();
  slowUpdate();
  charts.update(state.series());
  log.dirty = true;
  log.render();
  updateFigures();
}

// The lanes and "This run: …": the summary's exact figures once every event is applied and the
// run has ended; before that (live, or a replay scrubbed back) the fold of the events so far.
function updateFigures() {
  const end = finalSummary && cursor >= events.length ? finalSummary : null;
  if (lanes) { lanes.exact(end?.lanes || null); lanes.render(); }
  watchFigures($("#watch-figures"), { summary: end, lanes, state });
}

function step() {
  if (mode === "live") { send({ action: "step" }); return; }
  playing = false;
  updatePlayLabel();
  classroom?.changed();
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
    if (!boot.owner) return flash(gettext("Only the run's owner can pause it."));
    send({ action: status === "paused" ? "resume" : "pause" });
    return;
  }
  if (!playing && now >= endT()) seek(0);
  playing = !playing;
  updatePlayLabel();
  classroom?.changed();
}

// A classroom's presenter moved (static/js/classroom.js): go where the teacher is, without
// counting it as the student's own touch. t is null when this page is already close enough;
// place is the teacher's place in the lesson (the step shown, question or reveal), if any.
function applyRemote({ t, playing: play, speed: rate, lesson: place }) {
  if (rate !== speed && SPEEDS.includes(rate)) { speed = rate; $("#speed").value = String(rate); }
  if (place) lesson?.follow(place); // before the seek, whose settle then shows the teacher's step
  if (t !== null) seek(t);
  if (play !== playing) { playing = play; updatePlayLabel(); }
}

function updatePlayLabel() {
  const button = $("#btn-play");
  const paused = mode === "live" ? status === "paused" : !playing;
  button.textContent = paused ? `▶ ${gettext("Play")}` : `❚❚ ${gettext("Pause")}`;
  button.setAttribute("aria-pressed", String(!paused));
}

function setSpeed(value) {
  speed = value;
  $("#speed").value = String(value);
  if (mode === "live" && boot.owner) send({ action: "speed", speed: value });
  classroom?.changed();
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
  if (!sel) { box.innerHTML = `<p class="muted">${boot.owner && mode === "live" ? gettext("Click a node or an instance to see its details and inject a fault.") : gettext("Click a node or an instance to see its details.")}</p>`; return; }
  const node = (doc.nodes || []).find((n) => n.id === sel.node);
  if (!node) return;
  let html = "";
  if (node.kind === "load_balancer") {
    const pick = sel.pick || state.picks.get(node.id);
    html = `<h3>⚖ ${escapeHtml(node.label || node.id)} <span class="muted">${escapeHtml(word(node.algorithm || "round_robin"))}</span></h3>`;
    if (pick) {
      html += `<p class="pick-line" id="pick-reason"><strong>${escapeHtml(interpolate(gettext("Picked %(chosen)s"), { chosen: pick.chosen }, true))}</strong> ${escapeHtml(interpolate(gettext("for request %(req)s at %(t)s s"), { req: pick.req, t: (pick.t / 1000).toFixed(3) }, true))}${pick.session !== undefined && pick.session !== null ? `, ${escapeHtml(interpolate(gettext("session %(session)s"), { session: pick.session }, true))}` : ""}.<br><span class="reason">${escapeHtml(interpolate(gettext("Why: %(reason)s"), { reason: reasonWords(pick.reason) || "—" }, true))}</span></p>`;
      html += `<table class="table compact candidates"><thead><tr><th scope="col">${gettext("candidate")}</th><th scope="col">${gettext("load")}</th><th scope="col">${gettext("picks so far")}</th></tr></thead><tbody>`;
      const counts = state.pickCounts.get(node.id) || new Map();
      for (const c of pick.candidates || []) {
        html += `<tr class="${c.target === pick.chosen ? "chosen" : ""}"><td>${c.target === pick.chosen ? "➜ " : ""}${escapeHtml(c.target)}</td><td>${escapeHtml(c.load)}</td><td>${counts.get(c.target) || 0}</td></tr>`;
      }
      html += `</tbody></table>`;
    } else html += `<p class="muted">${gettext("No pick yet.")}</p>`;
  } else {
    const name = sel.instance;
    html = `<h3>${escapeHtml(name || node.label || node.id)} <span class="muted">${escapeHtml((KIND_STYLE[node.kind] || { short: node.kind.replace("_", " ") }).short)}</span></h3>`;
    const insts = [...state.instances.values()].filter((i) => (name ? i.name === name : i.node === node.id));
    if (insts.length) {
      html += `<table class="table compact"><thead><tr><th scope="col">${gettext("instance")}</th><th scope="col">${gettext("state")}</th><th scope="col">${gettext("working")}</th><th scope="col">${gettext("queued")}</th><th scope="col">${gettext("done")}</th></tr></thead><tbody>`;
      for (const i of insts) html += `<tr class="${i.up || i.stopped ? "" : "is-down"}"><td>${escapeHtml(i.name)}</td><td>${i.up ? (i.slowUntil > now ? gettext("slow") : gettext("up")) : i.stopped ? gettext("stopped") : gettext("DOWN")}</td><td>${i.busy.size}</td><td>${state.queued(i.name)}</td><td>${i.processed}</td></tr>`;
      html += `</tbody></table>`;
    }
  }
  const faults = boot.owner && mode === "live" ? faultButtons(node, sel.instance) : null;
  const key = `${html}|${faults ? faults.dataset.key : ""}`;
  if (!force && key === inspectorKey) return;
  inspectorKey = key;
  box.innerHTML = html;
  if (faults) box.querySelector("h3").after(faults); // first, so the buttons are on screen without scrolling
}

function defaultSelection() {
  const lb = (doc.nodes || []).find((n) => n.kind === "load_balancer");
  return lb ? { node: lb.id } : null;
}

// Built as elements: a zone or a node id is any text the document holds, so the fault each
// button sends sits in a data attribute set by the DOM, never spliced into markup.
function faultButtons(node, instance) {
  if (!POOL_KINDS.has(node.kind) && node.kind !== "database" && node.kind !== "orchestrator" && node.kind !== "load_balancer") return null;
  const index = instance ? Number(instance.split("#")[1]) : null;
  const button = (fault, text, danger = true) => h("button", { type: "button", class: danger ? "danger owner-live" : "owner-live", "data-fault": JSON.stringify(fault) }, text);
  const buttons = [];
  if (instance) buttons.push(button({ kind: "crash", node: node.id, instance: index }, interpolate(gettext("Crash %(instance)s"), { instance }, true)));
  if (instance) buttons.push(button({ kind: "slow", node: node.id, instance: index, factor: 10 }, interpolate(gettext("Slow %(instance)s ×10"), { instance }, true), false));
  buttons.push(button({ kind: "crash", node: node.id }, interpolate(gettext("Crash all of %(node)s"), { node: node.id }, true)));
  for (const zone of node.zones || []) buttons.push(button({ kind: "zone_down", zone }, interpolate(gettext("Zone %(zone)s down"), { zone }, true)));
  const box = h("div", { class: "faults", role: "group", "aria-label": gettext("Inject a fault") },
    h("div", { class: "fault-head" }, h("h4", {}, gettext("Inject a fault")),
      h("label", {}, gettext("for") + " ", h("input", { id: "fault-for", type: "number", min: "0", step: "1", value: "", placeholder: gettext("until the end"), size: "6" }), " " + gettext("s"))),
    h("div", { class: "fault-buttons" }, buttons));
  box.dataset.key = JSON.stringify([node.id, instance, node.zones || []]);
  return box;
}

$("#inspector").addEventListener("click", (ev) => {
  const button = ev.target.closest("[data-fault]");
  if (!button) return;
  const fault = JSON.parse(button.dataset.fault);
  const seconds = Number($("#fault-for")?.value);
  if (seconds > 0) fault.for_ms = seconds * 1000;
  if (send({ action: "fault", fault })) flash(interpolate(gettext("Sent: %(fault)s"), { fault: button.textContent }, true));
});

// ---- summary ------------------------------------------------------------------

function showSummary(summary, reason) {
  const box = $("#summary");
  if (!summary) { box.hidden = true; return; }
  box.hidden = false;
  $("#summary-exports").hidden = false; // the CSV and summary exist from now on, live too
  finalSummary = summary;
  updateFigures();
  const r = summary.requests || {}, l = summary.latency_ms || {};
  const f = (v) => (v === undefined || v === null ? "—" : Number(v).toLocaleString(undefined, { maximumFractionDigits: 1 }));
  let html = `<h2>${gettext("Summary")}</h2>${reason ? `<p>${escapeHtml(reason)}</p>` : ""}<div class="summary-grid">`;
  html += `<dl><dt>${gettext("started")}</dt><dd>${f(r.started)}</dd><dt>${gettext("completed")}</dt><dd>${f(r.completed)}</dd><dt>${gettext("requests failed")}</dt><dd>${f(r.failed)}</dd><dt>${gettext("rejected")}</dt><dd>${f(r.rejected)}</dd><dt>${gettext("timed out")}</dt><dd>${f(r.timed_out)}</dd><dt title="${gettext("failed attempts, summed over the nodes below")}">${gettext("failed at nodes")}</dt><dd>${f(Object.values(summary.nodes || {}).reduce((sum, n) => sum + (n.failed || 0), 0))}</dd></dl>`;
  html += `<dl><dt>${gettext("mean")}</dt><dd>${f(l.mean)} ms</dd><dt>p50</dt><dd>${f(l.p50)} ms</dd><dt>p95</dt><dd>${f(l.p95)} ms</dd><dt>p99</dt><dd>${f(l.p99)} ms</dd><dt>${gettext("max")}</dt><dd>${f(l.max)} ms</dd></dl>`;
  html += `</div><table class="table compact"><thead><tr><th scope="col">${gettext("node")}</th><th scope="col">${gettext("processed")}</th><th scope="col">${gettext("failed here")}</th><th scope="col">${gettext("rejected")}</th><th scope="col">${gettext("utilisation")}</th><th scope="col">${gettext("queue max")}</th></tr></thead><tbody>`;
  for (const [id, n] of Object.entries(summary.nodes || {})) {
    html += `<tr><td>${escapeHtml(id)}</td><td>${f(n.processed)}</td><td>${f(n.failed)}</td><td>${f(n.rejected)}</td><td>${n.utilization === undefined ? "—" : (n.utilization * 100).toFixed(1) + " %"}</td><td>${f(n.queue_max)}</td></tr>`;
  }
  html += `</tbody></table>`;
  for (const [lb, counts] of Object.entries(summary.load_balancers || {})) {
    html += `<p><strong>${escapeHtml(lb)}</strong> ${gettext("sent:")} ${Object.entries(counts).map(([k, v]) => `${escapeHtml(k)} ${f(v)}`).join(" · ")}</p>`;
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
$("#scrubber").addEventListener("input", (ev) => { playing = false; updatePlayLabel(); seek(Number(ev.target.value)); classroom?.changed(); });
$("#btn-restart").addEventListener("click", () => { seek(0); playing = true; updatePlayLabel(); classroom?.changed(); });
// Presentation mode: for a projector, the canvas and the counters large, the rest hidden.
// The whole topology is fitted (player.js), the long text hidden, this run's figures kept.
function present(on) {
  document.body.classList.toggle("presenting", on);
  $("#btn-present").setAttribute("aria-pressed", String(on));
  $("#btn-present").textContent = on ? `▣ ${gettext("Leave (Esc)")}` : `▣ ${gettext("Present")}`;
  if (on) window.scrollTo(0, 0);
  if (on && watch && !watch.open) { presentingOpened = true; watch.open = true; }
  else if (!on && presentingOpened) { presentingOpened = false; watch.open = false; }
  stage.view = null;
  fitLayout();
  stage.resize(true);
}
let presentingOpened = false; // "What to watch" opened for presenting only: closed again after

// The stage, the lanes and the side panel take the viewport's height below the controls, so
// the picture, the counters and the fault buttons are on one screen (at 1280×800 too).
function fitLayout() {
  const main = $(".run-main");
  if (!main) return;
  if (window.matchMedia("(max-width: 1100px)").matches) { main.style.removeProperty("--main-h"); return; }
  const top = main.getBoundingClientRect().top + window.scrollY;
  main.style.setProperty("--main-h", `${Math.max(400, Math.floor(window.innerHeight - top - 10))}px`);
}
const above = new ResizeObserver(() => fitLayout());
for (const sel of [".run-head", "#watch", ".run-controls", "#scrubber-row", ".topbar"]) { const node = $(sel); if (node) above.observe(node); }
window.addEventListener("resize", fitLayout);
$("#btn-present").addEventListener("click", () => present(!document.body.classList.contains("presenting")));
$("#btn-help").addEventListener("click", () => $("#help").showModal());
// Whoever closed "What to watch" once has read it: keep it closed on their next runs.
const watch = $("#watch");
if (watch) {
  if (localStorage.getItem("watch-open") === "0") watch.open = false;
  watch.addEventListener("toggle", () => { if (!document.body.classList.contains("presenting")) localStorage.setItem("watch-open", watch.open ? "1" : "0"); });
  // Never cut mid-sentence: the whole sentences that fit in two lines, "Read all" the rest.
  const text = $("#watch-text"), more = $("#btn-read-all");
  const full = text.textContent.trim();
  const sentences = full.match(/[^.!?。]+(?:[.!?。]+["')\]]*|$)\s*/g) || [full];
  let shown = full, whole = true;
  const clamp = () => {
    text.textContent = full;
    if (!watch.open || !whole) return;
    const lines = (el) => new Set([...el.getClientRects()].map((r) => Math.round(r.top))).size; // an inline box: one rect a line
    shown = full;
    for (let k = sentences.length; k >= 1; k--) {
      text.textContent = sentences.slice(0, k).join("").trim();
      if (lines(text) <= 2 || k === 1) { shown = text.textContent; break; }
    }
    more.hidden = shown.length >= full.length;
  };
  const setWhole = (on) => {
    whole = !on;
    more.textContent = on ? gettext("Show less") : gettext("Read all");
    more.setAttribute("aria-expanded", String(on));
    if (on) { text.textContent = full; more.hidden = false; } else clamp();
    fitLayout();
  };
  more.addEventListener("click", () => setWhole(whole));
  watch.addEventListener("toggle", () => { if (whole) clamp(); fitLayout(); });
  window.addEventListener("resize", () => { if (whole) clamp(); });
  clamp();
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
$("#speed-label").textContent = boot.speed ? "" : gettext("(the run goes as fast as it can)");
$("#legend-request").style.color = COLORS.request;
$("#legend-reply").style.color = COLORS.reply;

async function start() {
  fitLayout();
  requestAnimationFrame(frame);
  if (mode === "replay") {
    const loading = $("#loading");
    loading.hidden = false;
    const total = (await getRun(boot.id)).events;
    await fetchEvents(boot.id, -1, (page) => {
      accept(page);
      loading.textContent = `${gettext("Loading the stored events…")} ${events.length.toLocaleString()}${total ? " / " + total.toLocaleString() : ""}`;
    });
    loading.hidden = true;
    showSummary(boot.summary, "");
    enterReplay(true);
    // A link to a moment (`?t=` in seconds, as the embeddable player's): open there, paused.
    const at = Number(new URLSearchParams(location.search).get("t"));
    if (at > 0 && Number.isFinite(at)) { seek(at * 1000); playing = false; updatePlayLabel(); }
    lesson?.finish(boot.summary);
    lesson?.begin();
  } else {
    $("#scrubber-row").hidden = true;
    connect();
  }
}
classroom = boot.embedded ? null : Classroom.mount(boot, {
  get now() { return now; }, get playing() { return playing; }, get speed() { return speed; }, get mode() { return mode; }, applyRemote,
  get lesson() { return lesson ? lesson.position() : null; },
}, {
  teach: $("#btn-teach"), dialog: $("#teach-dialog"), link: $("#teach-link"), copy: $("#btn-teach-copy"),
  stop: $("#btn-teach-stop"), count: $("#teach-count"), bar: $("#classroom-bar"), barText: $("#classroom-text"), leave: $("#btn-classroom-leave"),
});
window.playground.classroom = classroom;
start();
