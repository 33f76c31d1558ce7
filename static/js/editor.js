// The topology editor: an SVG canvas, a palette, a server-validated side panel (htmx),
// undo/redo, automatic layout, import/export, save and run.

import { ApiError, createTopology, request, startTopologyRun, updateTopology } from "./api.js";
import { autoLayout, hasPositions, KIND_STYLE } from "./layout.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 150, H = 58; // a node's box in the editor
const boot = JSON.parse(document.getElementById("editor-boot").textContent);
let doc = JSON.parse(document.getElementById("editor-document").textContent);
doc.nodes = doc.nodes || [];
doc.edges = doc.edges || [];
let topologyId = boot.id;
let selection = null; // {where: "nodes"|"edges", index}
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
function markDirty() { dirty = true; $("#save-state").textContent = "Unsaved changes"; $("#save-state").className = "muted"; }

// ---- drawing ----------------------------------------------------------------

function ensurePositions() {
  if (hasPositions(doc)) return;
  const pos = autoLayout(doc, () => ({ width: W, height: H }));
  for (const n of doc.nodes) {
    if (Number.isFinite(n.x) && Number.isFinite(n.y)) continue;
    const p = pos.get(n.id);
    n.x = Math.round(p.x + 40 + W / 2); n.y = Math.round(p.y + 40 + H / 2);
  }
}

function layoutAll() {
  change(() => {
    const pos = autoLayout(doc, () => ({ width: W, height: H }));
    for (const n of doc.nodes) { const p = pos.get(n.id); n.x = Math.round(p.x + 40 + W / 2); n.y = Math.round(p.y + 40 + H / 2); }
  });
}

function problemIndexes(where) {
  return new Set(problems.filter((p) => p.where === where && p.index !== null && p.index !== undefined).map((p) => p.index));
}

function render() {
  svg.replaceChildren();
  const defs = el("defs", {}, svg);
  const marker = el("marker", { id: "ed-arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "8", markerHeight: "8", orient: "auto-start-reverse" }, defs);
  el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#444" }, marker);
  const pattern = el("pattern", { id: "grid", width: 20, height: 20, patternUnits: "userSpaceOnUse" }, defs);
  el("path", { d: "M20 0 L0 0 0 20", fill: "none", stroke: "#eee", "stroke-width": 1 }, pattern);
  el("rect", { x: 0, y: 0, width: "100%", height: "100%", class: "grid-bg" }, svg);
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const badNodes = problemIndexes("nodes"), badEdges = problemIndexes("edges");
  doc.edges.forEach((e, i) => {
    const a = byId.get(e.from), b = byId.get(e.to);
    if (!a || !b) return;
    const [x1, y1] = boxPoint(a, b), [x2, y2] = boxPoint(b, a);
    const g = el("g", { class: "edge-g", "data-edge": i }, svg);
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
    const g = el("g", { class: cls.join(" "), "data-node": n.id, tabindex: "0", role: "button", "aria-label": `${style.short} ${n.id}${badNodes.has(i) ? " (has problems)" : ""}` }, svg);
    el("rect", { x: n.x - W / 2, y: n.y - H / 2, width: W, height: H, rx: 10, fill: style.fill, stroke: style.stroke, class: "node-box" }, g);
    el("text", { x: n.x - W / 2 + 10, y: n.y - 6, class: "node-label" }, g).textContent = `${style.glyph} ${n.label || n.id}`;
    el("text", { x: n.x - W / 2 + 10, y: n.y + 15, class: "node-sub" }, g).textContent = subtitle(n);
    const port = el("circle", { cx: n.x + W / 2, cy: n.y, r: 8, class: "port", "data-port": n.id }, g);
    el("title", {}, port).textContent = `Drag to connect ${n.id} to another node`;
    g.addEventListener("pointerdown", (ev) => startDrag(ev, i));
    port.addEventListener("pointerdown", (ev) => { ev.stopPropagation(); startConnect(ev, i); });
    g.addEventListener("keydown", (ev) => { if (ev.key === "Enter") select({ where: "nodes", index: i }); });
    g.addEventListener("focus", () => { if (!selection || selection.where !== "nodes" || selection.index !== i) select({ where: "nodes", index: i }, false); });
  });
  $("#btn-undo").disabled = !undoStack.length;
  $("#btn-redo").disabled = !redoStack.length;
}

function subtitle(n) {
  switch (n.kind) {
    case "client": case "source": return `${(KIND_STYLE[n.kind] || {}).short} · ${n.rate ?? "?"}/s`;
    case "service": case "filter": return `${n.kind} · ×${n.instances ?? 1}`;
    case "load_balancer": return (n.algorithm || "round_robin").replaceAll("_", " ");
    default: return (KIND_STYLE[n.kind] || { short: n.kind }).short;
  }
}

function boxPoint(a, b) {
  const dx = b.x - a.x, dy = b.y - a.y;
  if (!dx && !dy) return [a.x, a.y];
  const s = Math.min(dx ? (W / 2) / Math.abs(dx) : Infinity, dy ? (H / 2) / Math.abs(dy) : Infinity);
  return [a.x + dx * s, a.y + dy * s];
}

function svgPoint(ev) {
  const r = svg.getBoundingClientRect();
  return { x: ev.clientX - r.left, y: ev.clientY - r.top };
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
  const ghost = el("line", { x1: from.x + W / 2, y1: from.y, x2: from.x + W / 2, y2: from.y, class: "ghost-edge" }, svg);
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
  const rect = svg.getBoundingClientRect();
  // Place it right of the rightmost node, or in the first free slot.
  const maxX = doc.nodes.length ? Math.max(...doc.nodes.map((n) => n.x)) : 0;
  let x = doc.nodes.length ? maxX + W + 50 : 40 + W / 2, y = Math.max(H, rect.height / 2);
  if (x > rect.width - W / 2) { x = 40 + W / 2 + (doc.nodes.length % 5) * 40; y = 40 + H / 2 + (doc.nodes.length % 6) * (H + 20); }
  change(() => doc.nodes.push({ id, kind, ...structuredClone(DEFAULTS[kind] || {}), x: Math.round(x), y: Math.round(y) }));
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

document.body.addEventListener("htmx:afterSwap", (ev) => {
  if (ev.detail.target !== panel) return;
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
  render();
});

panel.addEventListener("click", (ev) => {
  if (ev.target.closest("[data-action=delete]")) deleteSelection();
  const item = ev.target.closest("[data-goto]");
  if (item) select(JSON.parse(item.dataset.goto));
});

function renderSettings() {
  panel.innerHTML = `<h2>Topology settings</h2>
    <div class="field"><label for="s-pattern">pattern</label><input id="s-pattern" data-key="pattern" value="${esc(doc.pattern || "")}"></div>
    <div class="field"><label for="s-duration">duration_ms</label><input id="s-duration" data-key="duration_ms" data-type="int" value="${esc(doc.duration_ms ?? "")}"><div class="help">how long clients emit, in simulated ms</div></div>
    <div class="field"><label for="s-seed">seed</label><input id="s-seed" data-key="seed" data-type="int" value="${esc(doc.seed ?? 1)}"><div class="help">the same seed gives the same run</div></div>
    <div class="field"><label for="s-description">description</label><textarea id="s-description" data-key="description" rows="3">${esc(doc.description || "")}</textarea></div>
    <p class="help">Select a node or an edge to edit it. ${doc.nodes.length} nodes, ${doc.edges.length} edges.</p>`;
  for (const input of panel.querySelectorAll("[data-key]")) {
    input.addEventListener("change", () => change(() => {
      const v = input.value.trim();
      if (v === "") delete doc[input.dataset.key];
      else doc[input.dataset.key] = input.dataset.type === "int" ? Number(v) : v;
    }));
  }
}

function esc(s) { return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]); }

const PATH = /^(nodes|edges)\[(\d+)\](?:\s*"[^"]*")?(?:\.([A-Za-z_]+))?/;
function locate(path) {
  const m = PATH.exec(path || "");
  return m ? { where: m[1], index: Number(m[2]), field: m[3] || null } : { where: null, index: null, field: null };
}

function showProblems(list, fromSave) {
  const box = $("#problems");
  if (!list.length) { box.hidden = true; box.innerHTML = ""; return; }
  box.hidden = false;
  box.innerHTML = `<h2>${fromSave ? "Not saved: " : ""}${list.length} problem${list.length > 1 ? "s" : ""} in this topology</h2><ul>${list.map((p) => `<li${p.where ? ` data-goto='${JSON.stringify({ where: p.where, index: p.index })}' tabindex="0"` : ""}>${esc(p.path ? `${p.path}: ${p.message}` : p.message)}</li>`).join("")}</ul>`;
}
$("#problems").addEventListener("click", (ev) => { const li = ev.target.closest("[data-goto]"); if (li) select(JSON.parse(li.dataset.goto)); });

// ---- save, run, import, export -----------------------------------------------

function body() {
  const name = $("#topology-name").value.trim() || "Untitled topology";
  doc.name = name;
  return { name, document: doc, visibility: $("#visibility").value };
}

async function save() {
  const state = $("#save-state");
  state.textContent = "Saving…"; state.className = "muted";
  try {
    const saved = topologyId ? await updateTopology(topologyId, body()) : await createTopology(body());
    topologyId = saved.id;
    history.replaceState(null, "", `/topologies/${saved.id}/`);
    problems = [];
    showProblems([], true);
    render();
    dirty = false;
    state.textContent = "Saved ✓"; state.className = "saved";
    updateShareRow();
    return saved;
  } catch (error) {
    if (error instanceof ApiError && error.errors.length) {
      problems = error.errors.map((e) => ({ ...e, ...locate(e.path) }));
      showProblems(problems, true);
      render();
      if (selection) loadPanel();
    }
    state.textContent = `Not saved: ${error.message}`; state.className = "field-error";
    return null;
  }
}

async function saveAndRun() {
  const saved = await save();
  if (!saved) return;
  try {
    const run = await startTopologyRun(saved.id, { speed: 1 });
    location.href = `/runs/${run.id}/`;
  } catch (error) {
    $("#save-state").textContent = `Could not start a run: ${error.message}`;
    $("#save-state").className = "field-error";
  }
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
  try { data = JSON.parse(await file.text()); } catch (error) { showProblems([{ path: "", message: `Not JSON: ${error.message}` }], false); return; }
  if (data && data.document && data.document.nodes) data = data.document; // an API export
  if (!data || !Array.isArray(data.nodes)) { showProblems([{ path: "", message: "Not a topology: it has no nodes list" }], false); return; }
  change(() => { doc = data; doc.edges = doc.edges || []; ensurePositions(); });
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
svg.addEventListener("pointerdown", (ev) => { if (ev.target === svg || ev.target.classList.contains("grid-bg")) select(null); });
document.addEventListener("keydown", (ev) => {
  const typing = ev.target.closest("input, textarea, select");
  if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "z" && !typing) { ev.preventDefault(); ev.shiftKey ? redo() : undo(); }
  else if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "y" && !typing) { ev.preventDefault(); redo(); }
  else if ((ev.key === "Delete" || ev.key === "Backspace") && !typing && selection) { ev.preventDefault(); deleteSelection(); }
  else if (ev.key === "Escape" && !typing) select(null);
});
// The share link: shown while the visibility lets a link in; it works once saved so.
function updateShareRow() {
  const row = $("#share-row");
  if (!row) return;
  const v = $("#visibility").value;
  row.hidden = v === "private";
  $("#share-state").textContent = dirty ? "(save to apply the visibility)" : "";
}
$("#visibility").addEventListener("change", () => { markDirty(); updateShareRow(); });
$("#btn-copy-share")?.addEventListener("click", async () => {
  const input = $("#share-url");
  try { await navigator.clipboard.writeText(input.value); } catch { input.select(); document.execCommand("copy"); }
  $("#share-state").textContent = "Copied ✓";
});
// Someone else's topology, run as it is saved (a link holder's key lets the server find it).
$("#btn-run-original")?.addEventListener("click", async (ev) => {
  ev.target.disabled = true;
  try {
    const query = boot.key ? `?key=${encodeURIComponent(boot.key)}` : "";
    const run = await request("POST", `/api/topologies/${boot.viewingId}/runs${query}`, { speed: 1 });
    location.href = `/runs/${run.id}/`;
  } catch (error) {
    ev.target.disabled = false;
    $("#save-state").textContent = `Could not start a run: ${error.message}`;
    $("#save-state").className = "field-error";
  }
});

window.addEventListener("beforeunload", (ev) => { if (dirty && boot.canSave) ev.preventDefault(); });

window.playgroundEditor = { get doc() { return doc; }, get problems() { return problems; }, select, addNode };

ensurePositions();
render();
loadPanel();
