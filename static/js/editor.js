// The topology editor: an SVG canvas that zooms and pans, a palette, a server-validated side
// panel (htmx), undo/redo, automatic layout (dagre), keyboard moves and connects, import/export,
// save and run.

import { ApiError, createTopology, request, startTopologyRun, updateTopology } from "./api.js";
import { escapeHtml as esc } from "./dom.js";
import { boxEdgePoint, fittingLayout, overlapping } from "./graphlayout.js";
import { hasPositions, KIND_STYLE } from "./layout.js";
import { startOrExplain } from "./runrefusal.js";
import { enhanceFields } from "./fieldwidgets.js";
import { gettext, ngettext, interpolate, word } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 150, H = 58; // a node's box in the editor
const boot = JSON.parse(document.getElementById("editor-boot").textContent);
let doc = JSON.parse(document.getElementById("editor-document").textContent);
doc.nodes = doc.nodes || [];
doc.edges = doc.edges || [];
let topologyId = boot.id;
let selection = null; // {where: "nodes"|"edges", index}
let connecting = null; // keyboard connect: {from, target} node indexes
let problems = [];
const undoStack = [], redoStack = [];
const svg = document.getElementById("canvas");
const panel = document.getElementById("panel");
const $ = (s) => document.querySelector(s);

const DEFAULTS = {
  client: { rate: 20 }, source: { rate: 20 }, service: { instances: 1, service_time: 50 },
  function: { max_instances: 5, service_time: 50, cold_start_ms: 300 }, filter: { service_time: 50 },
  load_balancer: { algorithm: "round_robin" }, aggregator: { completion: "all", timeout_ms: 1000 },
  orchestrator: { steps: [] }, database: {},
};
const ID_BASE = { load_balancer: "lb", service: "api", database: "db", orchestrator: "orch" };

function el(name, attrs = {}, parent) {
  const n = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  if (parent) parent.appendChild(n);
  return n;
}

// ---- history ----------------------------------------------------------------

function snapshot() { return JSON.stringify(doc); }
function commit(before) {
  if (before === snapshot()) return;
  undoStack.push(before);
  if (undoStack.length > 200) undoStack.shift();
  redoStack.length = 0;
  markDirty();
}
function change(mutate) { const before = snapshot(); mutate(); commit(before); render(); }
function undo() { if (!undoStack.length) return; redoStack.push(snapshot()); doc = JSON.parse(undoStack.pop()); afterHistory(); }
function redo() { if (!redoStack.length) return; undoStack.push(snapshot()); doc = JSON.parse(redoStack.pop()); afterHistory(); }
function afterHistory() {
  if (selection && !doc[selection.where][selection.index]) selection = null;
  markDirty();
  render();
  loadPanel();
}

let dirty = false;
function markDirty() { dirty = true; $("#save-state").textContent = gettext("Unsaved changes"); $("#save-state").className = "muted"; }

// ---- drawing ----------------------------------------------------------------

// A document without positions, or whose boxes overlap (imported, forked, written by hand),
// is laid out afresh; one whose every node has a place of its own keeps it.
function ensurePositions() {
  if (hasPositions(doc) && !overlapping(doc.nodes, W + 8, H + 8)) return;
  placeAll();
}

function placeAll() {
  const r = svg.getBoundingClientRect();
  const pos = fittingLayout(doc, { width: W, height: H }, r.width, r.height);
  for (const n of doc.nodes) {
    const p = pos.get(n.id);
    if (p) { n.x = Math.round(p.x + 40); n.y = Math.round(p.y + 40); }
  }
}

function layoutAll() {
  change(placeAll);
  fitView();
}

// ---- the view: zoom and pan ---------------------------------------------------

const MIN_ZOOM = 0.2, MAX_ZOOM = 3;
const view = { k: 1, x: 0, y: 0 };
let viewMoved = false; // zoomed or panned by hand since the last fit

function applyView() {
  const t = `translate(${view.x} ${view.y}) scale(${view.k})`;
  svg.querySelector("#viewport")?.setAttribute("transform", t);
  svg.querySelector("#grid")?.setAttribute("patternTransform", t);
  $("#zoom-level").textContent = `${Math.round(view.k * 100)}%`;
}

// Zoom by `factor` keeping the screen point (sx, sy) where it is.
function zoomAt(factor, sx, sy) {
  const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.k * factor));
  viewMoved = true;
  view.x = sx - ((sx - view.x) * k) / view.k;
  view.y = sy - ((sy - view.y) * k) / view.k;
  view.k = k;
  applyView();
}

function zoomCentre(factor) {
  const r = svg.getBoundingClientRect();
  zoomAt(factor, r.width / 2, r.height / 2);
}

// The whole topology in view, with a margin; never larger than 1.25× (a lone node stays a node).
function fitView() {
  const r = svg.getBoundingClientRect();
  if (!doc.nodes.length || !r.width || !r.height) { view.k = 1; view.x = 0; view.y = 0; applyView(); return; }
  const xs = doc.nodes.map((n) => n.x), ys = doc.nodes.map((n) => n.y);
  const minX = Math.min(...xs) - W / 2, maxX = Math.max(...xs) + W / 2 + 10; // + the port
  const minY = Math.min(...ys) - H / 2, maxY = Math.max(...ys) + H / 2;
  const margin = 24;
  const k = Math.max(0.05, Math.min(1.25, (r.width - 2 * margin) / (maxX - minX), (r.height - 2 * margin) / (maxY - minY)));
  view.k = k;
  viewMoved = false;
  view.x = (r.width - (maxX - minX) * k) / 2 - minX * k;
  view.y = (r.height - (maxY - minY) * k) / 2 - minY * k;
  applyView();
}

// Panning with one pointer on the empty canvas, pinching with two (touch).
const pointers = new Map();
let gesture = null;
function onCanvasPointerDown(ev) {
  if (!(ev.target === svg || ev.target.classList.contains("grid-bg"))) return;
  pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
  svg.setPointerCapture?.(ev.pointerId);
  if (pointers.size === 1) gesture = { kind: "pan", moved: false, last: { x: ev.clientX, y: ev.clientY } };
  else if (pointers.size === 2) gesture = { kind: "pinch", ...pinchState() };
}
function pinchState() {
  const [a, b] = [...pointers.values()];
  const r = svg.getBoundingClientRect();
  return { dist: Math.hypot(a.x - b.x, a.y - b.y) || 1, mid: { x: (a.x + b.x) / 2 - r.left, y: (a.y + b.y) / 2 - r.top } };
}
svg.addEventListener("pointermove", (ev) => {
  if (!gesture || !pointers.has(ev.pointerId)) return;
  pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
  if (gesture.kind === "pan") {
    const dx = ev.clientX - gesture.last.x, dy = ev.clientY - gesture.last.y;
    if (!gesture.moved && Math.hypot(dx, dy) < 3) return;
    gesture.moved = true;
    viewMoved = true;
    view.x += dx; view.y += dy;
    gesture.last = { x: ev.clientX, y: ev.clientY };
    svg.classList.add("panning");
    applyView();
  } else if (pointers.size === 2) {
    const now = pinchState();
    view.x += now.mid.x - gesture.mid.x; view.y += now.mid.y - gesture.mid.y;
    zoomAt(now.dist / gesture.dist, now.mid.x, now.mid.y);
    Object.assign(gesture, now);
  }
});
function onCanvasPointerUp(ev) {
  if (!pointers.has(ev.pointerId)) return;
  pointers.delete(ev.pointerId);
  svg.classList.remove("panning");
  if (gesture && gesture.kind === "pan" && !gesture.moved && ev.type === "pointerup") select(null);
  gesture = pointers.size === 1 ? { kind: "pan", moved: true, last: [...pointers.values()][0] } : null;
}
svg.addEventListener("pointerup", onCanvasPointerUp);
svg.addEventListener("pointercancel", onCanvasPointerUp);
svg.addEventListener("wheel", (ev) => {
  ev.preventDefault();
  const r = svg.getBoundingClientRect();
  // A trackpad pinch arrives as a wheel with ctrlKey and small deltas; a mouse wheel in steps.
  const step = ev.deltaMode === 1 ? ev.deltaY * 20 : ev.deltaY;
  zoomAt(Math.exp(-step * (ev.ctrlKey ? 0.01 : 0.0015)), ev.clientX - r.left, ev.clientY - r.top);
}, { passive: false });

function problemIndexes(where) {
  return new Set(problems.filter((p) => p.where === where && p.index !== null && p.index !== undefined).map((p) => p.index));
}

function render() {
  const hadFocus = svg.contains(document.activeElement);
  svg.replaceChildren();
  const defs = el("defs", {}, svg);
  const marker = el("marker", { id: "ed-arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "8", markerHeight: "8", orient: "auto-start-reverse" }, defs);
  el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#444" }, marker);
  const pattern = el("pattern", { id: "grid", width: 20, height: 20, patternUnits: "userSpaceOnUse" }, defs);
  el("path", { d: "M20 0 L0 0 0 20", fill: "none", stroke: "#eee", "stroke-width": 1 }, pattern);
  el("rect", { x: 0, y: 0, width: "100%", height: "100%", class: "grid-bg" }, svg);
  const world = el("g", { id: "viewport" }, svg);
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const badNodes = problemIndexes("nodes"), badEdges = problemIndexes("edges");
  doc.edges.forEach((e, i) => {
    const a = byId.get(e.from), b = byId.get(e.to);
    if (!a || !b) return;
    const [x1, y1] = boxPoint(a, b), [x2, y2] = boxPoint(b, a);
    const g = el("g", { class: "edge-g", "data-edge": i }, world);
    el("line", { x1, y1, x2, y2, class: "edge-hit" }, g);
    const cls = ["editor-edge"];
    if (e.when === "error") cls.push("error");
    if (badEdges.has(i)) cls.push("invalid");
    if (selection && selection.where === "edges" && selection.index === i) cls.push("selected");
    el("line", { x1, y1, x2, y2, class: cls.join(" "), "marker-end": "url(#ed-arrow)" }, g);
    g.addEventListener("pointerdown", (ev) => { ev.stopPropagation(); select({ where: "edges", index: i }); });
  });
  doc.nodes.forEach((n, i) => {
    const style = KIND_STYLE[n.kind] || KIND_STYLE.service;
    const cls = ["editor-node"];
    if (badNodes.has(i)) cls.push("invalid");
    if (selection && selection.where === "nodes" && selection.index === i) cls.push("selected");
    if (connecting && connecting.target === i) cls.push("connect-target");
    const g = el("g", { class: cls.join(" "), "data-node": n.id, tabindex: "0", role: "button", "aria-label": `${style.short} ${n.id}${badNodes.has(i) ? " " + gettext("(has problems)") : ""}` }, world);
    el("rect", { x: n.x - W / 2, y: n.y - H / 2, width: W, height: H, rx: 10, fill: style.fill, stroke: style.stroke, class: "node-box" }, g);
    el("text", { x: n.x - W / 2 + 10, y: n.y - 6, class: "node-label" }, g).textContent = `${style.glyph} ${clip(n.label || n.id, 13)}`;
    el("title", {}, g).textContent = n.label ? `${n.label} (${n.id})` : n.id;
    el("text", { x: n.x - W / 2 + 10, y: n.y + 15, class: "node-sub" }, g).textContent = subtitle(n);
    const port = el("circle", { cx: n.x + W / 2, cy: n.y, r: 8, class: "port", "data-port": n.id }, g);
    el("title", {}, port).textContent = interpolate(gettext("Drag to connect %(node)s to another node"), { node: n.id }, true);
    g.addEventListener("pointerdown", (ev) => startDrag(ev, i));
    port.addEventListener("pointerdown", (ev) => { ev.stopPropagation(); startConnect(ev, i); });
    g.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && !connecting) select({ where: "nodes", index: i }); });
    g.addEventListener("focus", () => { if (!selection || selection.where !== "nodes" || selection.index !== i) select({ where: "nodes", index: i }, false); });
  });
  if (connecting) {
    const a = doc.nodes[connecting.from], b = doc.nodes[connecting.target];
    if (a && b) {
      const [x1, y1] = boxPoint(a, b), [x2, y2] = boxPoint(b, a);
      el("line", { x1, y1, x2, y2, class: "ghost-edge" }, world);
    }
  }
  applyView();
  $("#btn-undo").disabled = !undoStack.length;
  $("#btn-redo").disabled = !redoStack.length;
  // The node that had the keyboard keeps it across the redraw.
  const focusIndex = connecting ? connecting.from : selection && selection.where === "nodes" ? selection.index : null;
  if (hadFocus && focusIndex !== null && doc.nodes[focusIndex]) {
    svg.querySelector(`[data-node="${CSS.escape(doc.nodes[focusIndex].id)}"]`)?.focus({ preventScroll: true });
  }
}

// A long label is cut to fit its box; the whole of it is in the node's tooltip.
function clip(text, max) { return text.length > max ? `${text.slice(0, max - 1)}…` : text; }

function subtitle(n) {
  switch (n.kind) {
    case "client": case "source": return `${(KIND_STYLE[n.kind] || {}).short} · ${n.rate ?? "?"}/s`;
    case "service": case "filter": return `${(KIND_STYLE[n.kind] || {}).short} · ×${n.instances ?? 1}`;
    case "load_balancer": return word(n.algorithm || "round_robin");
    default: return (KIND_STYLE[n.kind] || { short: n.kind }).short;
  }
}

function boxPoint(a, b) { return boxEdgePoint(a, b, W, H); }

// Where a pointer is, in the document's units (through the zoom and pan).
function svgPoint(ev) {
  const r = svg.getBoundingClientRect();
  return { x: (ev.clientX - r.left - view.x) / view.k, y: (ev.clientY - r.top - view.y) / view.k };
}

// ---- interaction ------------------------------------------------------------

function startDrag(ev, i) {
  if (ev.button !== 0) return;
  const before = snapshot();
  const node = doc.nodes[i];
  const start = svgPoint(ev), origin = { x: node.x, y: node.y };
  let moved = false;
  select({ where: "nodes", index: i });
  const g = svg.querySelector(`[data-node="${CSS.escape(node.id)}"]`);
  const move = (e) => {
    const p = svgPoint(e);
    const dx = p.x - start.x, dy = p.y - start.y;
    if (!moved && Math.hypot(dx, dy) < 3) return;
    moved = true;
    node.x = Math.round(origin.x + dx); node.y = Math.round(origin.y + dy);
    render();
  };
  const up = () => {
    window.removeEventListener("pointermove", move);
    window.removeEventListener("pointerup", up);
    if (moved) { commit(before); render(); }
  };
  window.addEventListener("pointermove", move);
  window.addEventListener("pointerup", up);
  if (g) g.focus({ preventScroll: true });
}

function startConnect(ev, i) {
  const from = doc.nodes[i];
  const ghost = el("line", { x1: from.x + W / 2, y1: from.y, x2: from.x + W / 2, y2: from.y, class: "ghost-edge" }, svg.querySelector("#viewport"));
  const move = (e) => { const p = svgPoint(e); ghost.setAttribute("x2", p.x); ghost.setAttribute("y2", p.y); };
  const up = (e) => {
    window.removeEventListener("pointermove", move);
    window.removeEventListener("pointerup", up);
    ghost.remove();
    const p = svgPoint(e);
    const target = doc.nodes.find((n) => Math.abs(n.x - p.x) <= W / 2 && Math.abs(n.y - p.y) <= H / 2);
    if (!target || target.id === from.id) return;
    if (doc.edges.some((x) => x.from === from.id && x.to === target.id)) return;
    change(() => doc.edges.push({ from: from.id, to: target.id }));
    select({ where: "edges", index: doc.edges.length - 1 });
  };
  window.addEventListener("pointermove", move);
  window.addEventListener("pointerup", up);
}

function addNode(kind) {
  const base = ID_BASE[kind] || kind.replace("_", "-");
  let id = base, k = 2;
  const ids = new Set(doc.nodes.map((n) => n.id));
  while (ids.has(id)) id = `${base}-${k++}`;
  // Place it in the middle of what is in view, moved down until it covers no other node.
  const rect = svg.getBoundingClientRect();
  const x = (rect.width / 2 - view.x) / view.k;
  let y = (rect.height / 3 - view.y) / view.k;
  while (doc.nodes.some((n) => Math.abs(n.x - x) < W + 8 && Math.abs(n.y - y) < H + 8)) y += H + 16;
  change(() => doc.nodes.push({ id, kind, ...structuredClone(DEFAULTS[kind] || {}), x: Math.round(x), y: Math.round(y) }));
  if (y * view.k + view.y > rect.height - H) fitView();
  select({ where: "nodes", index: doc.nodes.length - 1 });
}

function deleteSelection() {
  if (!selection) return;
  const { where, index } = selection;
  change(() => {
    if (where === "nodes") {
      const id = doc.nodes[index].id;
      doc.nodes.splice(index, 1);
      doc.edges = doc.edges.filter((e) => e.from !== id && e.to !== id);
    } else doc.edges.splice(index, 1);
  });
  selection = null;
  problems = [];
  render();
  loadPanel();
}

function select(s, focusPanel = false) {
  if (connecting) { connecting = null; $("#connect-state").textContent = ""; }
  selection = s;
  render();
  loadPanel(focusPanel);
}

// ---- the side panel (server-rendered, server-validated) ----------------------

function loadPanel() {
  if (!selection) { renderSettings(); return; }
  window.htmx.ajax("POST", boot.panelUrl, { target: "#panel", swap: "innerHTML", values: { where: selection.where, index: String(selection.index), apply: "0" } });
}

document.body.addEventListener("htmx:configRequest", (ev) => {
  if (ev.detail.path !== boot.panelUrl) return;
  ev.detail.parameters.document = JSON.stringify(doc);
  panelBefore = snapshot();
});
let panelBefore = null;

// The element that had the keyboard in the panel, given back once the panel is redrawn.
let panelFocus = null;
document.body.addEventListener("htmx:beforeSwap", (ev) => {
  if (ev.detail.target === panel) panelFocus = panel.contains(document.activeElement) ? document.activeElement.id : null;
});

document.body.addEventListener("htmx:afterSwap", (ev) => {
  if (ev.detail.target !== panel) return;
  enhanceFields(panel, panelFocus);
  // The kind's name in words and in the page's language, as the palette shows it.
  const kindName = panel.querySelector(".kind-name[data-kind]");
  const kindStyle = kindName && KIND_STYLE[kindName.dataset.kind];
  if (kindStyle) kindName.textContent = `${kindStyle.glyph} ${kindStyle.short}`;
  const node = document.getElementById("panel-result");
  if (!node) return;
  const result = JSON.parse(node.textContent);
  node.remove();
  problems = result.problems || [];
  const applied = panel.querySelector("form") && result.document && JSON.stringify(result.document) !== panelBefore;
  if (applied) {
    const before = panelBefore;
    doc = result.document;
    commit(before);
  }
  showProblems(problems, false);
  showWarnings(result.warnings || []);
  render();
});

panel.addEventListener("click", (ev) => {
  if (ev.target.closest("[data-action=delete]")) deleteSelection();
  const item = ev.target.closest("[data-goto]");
  if (item) select(JSON.parse(item.dataset.goto));
});

function renderSettings() {
  panel.innerHTML = `<h2>${gettext("Topology settings")}</h2>
    <div class="field"><label for="s-pattern">${gettext("Pattern")}</label><input id="s-pattern" data-key="pattern" value="${esc(doc.pattern || "")}" aria-describedby="s-pattern-help"><div class="help" id="s-pattern-help">${gettext("Which pattern it shows, e.g. load-balancing; the library groups it there.")}</div></div>
    <div class="field"><label for="s-duration">${gettext("Run length (simulated ms)")}</label><input id="s-duration" data-key="duration_ms" data-type="int" value="${esc(doc.duration_ms ?? "")}" aria-describedby="s-duration-help"><div class="help" id="s-duration-help">${gettext("How long clients keep sending, in simulated milliseconds (60000 is a minute).")}</div></div>
    <div class="field"><label for="s-seed">${gettext("Seed")}</label><input id="s-seed" data-key="seed" data-type="int" value="${esc(doc.seed ?? 1)}" aria-describedby="s-seed-help"><div class="help" id="s-seed-help">${gettext("Any whole number: the same seed gives the very same run; another gives other random draws.")}</div></div>
    <div class="field"><label for="s-description">${gettext("Description")}</label><textarea id="s-description" data-key="description" rows="3">${esc(doc.description || "")}</textarea></div>
    <p class="help">${gettext("Select a node or an edge to edit it.")} ${esc(interpolate(ngettext("%(n)s node", "%(n)s nodes", doc.nodes.length), { n: doc.nodes.length }, true))}, ${esc(interpolate(ngettext("%(n)s edge", "%(n)s edges", doc.edges.length), { n: doc.edges.length }, true))}.</p>`;
  for (const input of panel.querySelectorAll("[data-key]")) {
    input.addEventListener("change", () => change(() => {
      const v = input.value.trim();
      if (v === "") delete doc[input.dataset.key];
      else doc[input.dataset.key] = input.dataset.type === "int" ? Number(v) : v;
    }));
  }
}

// The node or edge an API refusal is about, from its `at` (docs/api.md#errors): never parsed from `path`.
function locate(error) {
  const at = error.at || {};
  const item = (at.where === "nodes" || at.where === "edges") && Number.isInteger(at.index);
  return item ? { where: at.where, index: at.index, field: at.field || null } : { where: null, index: null, field: null };
}

function showProblems(list, fromSave) {
  const box = $("#problems");
  if (!list.length) { box.hidden = true; box.innerHTML = ""; return; }
  box.hidden = false;
  box.innerHTML = `<h2>${fromSave ? gettext("Not saved:") + " " : ""}${esc(interpolate(ngettext("%(n)s problem in this topology", "%(n)s problems in this topology", list.length), { n: list.length }, true))}</h2><ul>${list.map((p) => `<li${p.where ? ` data-goto="${esc(JSON.stringify({ where: p.where, index: p.index }))}" tabindex="0"` : ""}>${esc(p.path ? `${p.path}: ${p.message}` : p.message)}</li>`).join("")}</ul>`;
}
// Warnings (valid, saved, but a run will not end well): the API's and the panel's `warnings`.
function showWarnings(list) {
  const box = $("#warnings");
  box.replaceChildren();
  box.hidden = !list.length;
  if (!list.length) return;
  const title = document.createElement("h2");
  title.textContent = interpolate(
    ngettext("%(count)s warning about this topology", "%(count)s warnings about this topology", list.length),
    { count: list.length },
    true,
  );
  const items = document.createElement("ul");
  for (const w of list) {
    const li = document.createElement("li");
    li.textContent = w.path ? `${w.path}: ${w.message}` : w.message;
    items.append(li);
  }
  box.append(title, items);
}
$("#problems").addEventListener("click", (ev) => { const li = ev.target.closest("[data-goto]"); if (li) select(JSON.parse(li.dataset.goto)); });

// ---- save, run, import, export -----------------------------------------------

function body() {
  const name = $("#topology-name").value.trim() || gettext("Untitled topology");
  doc.name = name;
  return { name, document: doc, visibility: $("#visibility").value };
}

async function save() {
  const state = $("#save-state");
  state.textContent = gettext("Saving…"); state.className = "muted";
  try {
    const saved = topologyId ? await updateTopology(topologyId, body()) : await createTopology(body());
    topologyId = saved.id;
    history.replaceState(null, "", `/topologies/${saved.id}/`);
    problems = [];
    showProblems([], true);
    showWarnings(saved.warnings || []);
    render();
    dirty = false;
    state.textContent = `${gettext("Saved")} ✓`; state.className = "saved";
    updateShareRow();
    return saved;
  } catch (error) {
    if (error instanceof ApiError && error.errors.length) {
      problems = error.errors.map((e) => ({ ...e, ...locate(e) }));
      showProblems(problems, true);
      render();
      if (selection) loadPanel();
    }
    state.textContent = interpolate(gettext("Not saved: %(error)s"), { error: error.message }, true); state.className = "field-error";
    return null;
  }
}

async function saveAndRun() {
  const saved = await save();
  if (!saved) return;
  await startOrExplain(() => startTopologyRun(saved.id, { speed: 1 }), $(".editor-head"));
}

function exportJson() {
  const blob = new Blob([JSON.stringify(doc, null, 2)], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `${($("#topology-name").value || "topology").replace(/[^\w-]+/g, "-").toLowerCase()}.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

async function importJson(file) {
  let data;
  try { data = JSON.parse(await file.text()); } catch (error) { showProblems([{ path: "", message: interpolate(gettext("Not JSON: %(error)s"), { error: error.message }, true) }], false); return; }
  if (data && data.document && data.document.nodes) data = data.document; // an API export
  if (!data || !Array.isArray(data.nodes)) { showProblems([{ path: "", message: gettext("Not a topology: it has no nodes list") }], false); return; }
  change(() => { doc = data; doc.edges = doc.edges || []; ensurePositions(); });
  fitView();
  if (data.name) $("#topology-name").value = data.name;
  selection = null;
  loadPanel();
}

// ---- wiring -----------------------------------------------------------------

for (const b of document.querySelectorAll(".palette-item")) {
  const style = KIND_STYLE[b.dataset.kind] || { glyph: "", short: b.dataset.kind };
  b.textContent = `${style.glyph} ${style.short}`;
  b.style.borderColor = style.stroke;
  b.style.background = style.fill;
  b.addEventListener("click", () => addNode(b.dataset.kind));
}
$("#btn-undo").addEventListener("click", undo);
$("#btn-redo").addEventListener("click", redo);
$("#btn-layout").addEventListener("click", layoutAll);
$("#btn-export").addEventListener("click", exportJson);
$("#import-file").addEventListener("change", (ev) => { if (ev.target.files[0]) importJson(ev.target.files[0]); ev.target.value = ""; });
$("#btn-save")?.addEventListener("click", save);
$("#btn-run")?.addEventListener("click", saveAndRun);
$("#topology-name").addEventListener("input", markDirty);
svg.addEventListener("pointerdown", onCanvasPointerDown);
$("#btn-zoom-in").addEventListener("click", () => zoomCentre(1.25));
$("#btn-zoom-out").addEventListener("click", () => zoomCentre(1 / 1.25));
$("#btn-fit").addEventListener("click", fitView);
document.addEventListener("keydown", (ev) => {
  const typing = ev.target.closest("input, textarea, select");
  if (!typing && connecting) { connectKey(ev); return; }
  const node = !typing && selection && selection.where === "nodes" ? selection.index : null;
  const arrow = ARROWS[ev.key];
  if (arrow && node !== null && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
    ev.preventDefault();
    const step = ev.shiftKey ? 50 : 10;
    change(() => { doc.nodes[node].x += arrow[0] * step; doc.nodes[node].y += arrow[1] * step; });
  } else if (ev.key === "c" && node !== null && !ev.ctrlKey && !ev.metaKey && !ev.altKey && doc.nodes.length > 1) {
    ev.preventDefault();
    connecting = { from: node, target: null };
    stepTarget(1);
  } else if (!typing && (ev.key === "+" || ev.key === "=")) zoomCentre(1.25);
  else if (!typing && ev.key === "-") zoomCentre(1 / 1.25);
  else if (!typing && ev.key === "0") fitView();
  else if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "z" && !typing) { ev.preventDefault(); ev.shiftKey ? redo() : undo(); }
  else if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "y" && !typing) { ev.preventDefault(); redo(); }
  else if ((ev.key === "Delete" || ev.key === "Backspace") && !typing && selection) { ev.preventDefault(); deleteSelection(); }
  else if (ev.key === "Escape" && !typing) select(null);
});
const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

// Keyboard connect: `c` on a selected node, then arrows or Tab go through the other nodes
// (in reading order), Enter connects, Escape gives up.
function connectTargets() {
  return doc.nodes.map((n, i) => i).filter((i) => i !== connecting.from)
    .sort((a, b) => doc.nodes[a].x - doc.nodes[b].x || doc.nodes[a].y - doc.nodes[b].y);
}
function stepTarget(delta) {
  const order = connectTargets();
  const at = order.indexOf(connecting.target);
  connecting.target = order[(at + delta + order.length) % order.length];
  if (at === -1 && delta === 1) connecting.target = order[0];
  const from = doc.nodes[connecting.from], to = doc.nodes[connecting.target];
  $("#connect-state").textContent = interpolate(gettext("Connect %(from)s → %(to)s? Arrows or Tab choose, Enter connects, Esc cancels."), { from: from.id, to: to.id }, true);
  render();
}
function connectKey(ev) {
  if (["ArrowRight", "ArrowDown", "Tab"].includes(ev.key) && !(ev.key === "Tab" && ev.shiftKey)) { ev.preventDefault(); stepTarget(1); }
  else if (["ArrowLeft", "ArrowUp"].includes(ev.key) || (ev.key === "Tab" && ev.shiftKey)) { ev.preventDefault(); stepTarget(-1); }
  else if (ev.key === "Escape") { ev.preventDefault(); endConnect(); }
  else if (ev.key === "Enter") {
    ev.preventDefault();
    const from = doc.nodes[connecting.from].id, to = doc.nodes[connecting.target].id;
    endConnect();
    if (doc.edges.some((x) => x.from === from && x.to === to)) { $("#connect-state").textContent = interpolate(gettext("%(from)s → %(to)s is already connected."), { from, to }, true); return; }
    change(() => doc.edges.push({ from, to }));
    $("#connect-state").textContent = interpolate(gettext("Connected %(from)s → %(to)s."), { from, to }, true);
  }
}
function endConnect() {
  connecting = null;
  $("#connect-state").textContent = "";
  render();
}

// The share link: shown while the visibility lets a link in; it works once saved so.
function updateShareRow() {
  const row = $("#share-row");
  if (!row) return;
  const v = $("#visibility").value;
  row.hidden = v === "private";
  $("#share-state").textContent = dirty ? gettext("(save to apply the visibility)") : "";
}
$("#visibility").addEventListener("change", () => { markDirty(); updateShareRow(); });
$("#btn-copy-share")?.addEventListener("click", async () => {
  const input = $("#share-url");
  try { await navigator.clipboard.writeText(input.value); } catch { input.select(); document.execCommand("copy"); }
  $("#share-state").textContent = `${gettext("Copied")} ✓`;
});
// Someone else's topology, run as it is saved (a link holder's key lets the server find it).
$("#btn-run-original")?.addEventListener("click", async (ev) => {
  const button = ev.target;
  button.disabled = true;
  const query = boot.key ? `?key=${encodeURIComponent(boot.key)}` : "";
  await startOrExplain(() => request("POST", `/api/topologies/${boot.viewingId}/runs${query}`, { speed: 1 }),
    button.closest(".notice"), () => { button.disabled = false; });
});

window.addEventListener("beforeunload", (ev) => { if (dirty && boot.canSave) ev.preventDefault(); });

window.playgroundEditor = { get doc() { return doc; }, get problems() { return problems; }, get view() { return { ...view }; }, select, addNode, fitView };

ensurePositions();
render();
fitView();
loadPanel();
// A window resized or a tablet turned: the whole stays in view, unless zoomed or panned by hand.
new ResizeObserver(() => { if (!viewMoved) fitView(); }).observe(svg);
