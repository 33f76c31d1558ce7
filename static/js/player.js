// The run view's stage: the topology as SVG, and a <canvas> above it where messages move.
// Positions are interpolated by simulated time, so replay and live look the same.

import { autoLayout, hasPositions, instanceCells, KIND_STYLE, layers, nodeSize, POOL_KINDS } from "./layout.js";
import { nodeOf, reasonText } from "./runstate.js";
import { gettext, ngettext, interpolate, word } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const MAX_DRAWN = 1500; // above this many dots in flight, draw a deterministic sample
const SAMPLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
// Below this zoom a node's 16 px title drops under ~11 px on screen: unreadable on a projector.
// A topology that would need less is shown at this size and panned instead (f fits it all).
export const MIN_SCALE = 0.7;
const MAX_SCALE = 1.3, MAX_ZOOM = 2.5, PAD = 28, COLUMN_GAP = 110;
const LABEL_FONT = "700 16px system-ui, sans-serif";
export const COLORS = {
  request: "#0072B2", reply: "#E69F00", error: "#D55E00", pick: "#009E73",
  timeout: "#CC79A7", late: "#E69F00", down: "#D55E00", fault: "#D55E00",
};
const MARKER = {
  reject: [`✕ ${gettext("rejected")}`, COLORS.error], failed: [`✕ ${gettext("failed")}`, COLORS.error], rejected: [`✕ ${gettext("rejected")}`, COLORS.error],
  timed_out: [`◷ ${gettext("timed out")}`, COLORS.timeout], timeout: [`◷ ${gettext("timeout")}`, COLORS.timeout], late: [`◷ ${gettext("late")}`, "#8a5a00"],
  partial: [`◐ ${gettext("partial")}`, COLORS.timeout], down: [`✖ ${gettext("down")}`, COLORS.down], fault: ["⚡", COLORS.fault], saga: ["↺", COLORS.timeout],
  stop: [`■ ${gettext("stopped")}`, "#555"], scale: ["⇅", "#004f7c"],
};
// Markers about one instance name it; the others (a request's outcome, a late reply) are
// counted per node: "✕ rejected ×12".
const NAMED = new Set(["down", "stop", "fault"]);
const LABELS_PER_NODE = 3;
// The band of a box its title takes, in world units (the title's baseline is 22 below the top).
const TITLE_BAND = 30;

function el(name, attrs = {}, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function hashReq(req) {
  const s = String(req);
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
  return h >>> 0;
}

function overlaps(boxes) {
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (Math.abs(a.x - b.x) * 2 < a.width + b.width + 20 && Math.abs(a.y - b.y) * 2 < a.height + b.height + 16) return true;
    }
  return false;
}

export class Stage {
  constructor(container, doc, { onSelect } = {}) {
    this.container = container;
    this.doc = doc;
    this.onSelect = onSelect || (() => {});
    this.svg = el("svg", { class: "stage-svg", role: "group", "aria-label": gettext("Topology") });
    this.canvas = document.createElement("canvas");
    this.canvas.className = "stage-canvas";
    this.canvas.setAttribute("aria-hidden", "true");
    container.append(this.svg, this.canvas);
    this.ctx = this.canvas.getContext("2d");
    this.sampleN = 1;
    this.sampleCheckedAt = 0;
    this.drawnCount = 0;
    this.layerOf = layers(doc).layer;
    this.view = null; // the user's zoom and pan; null means the default view
    this.buildBoxes();
    this.buildViewControls();
    this.resize();
    new ResizeObserver(() => this.resize()).observe(container);
  }

  // A box wide enough for its title (long stage names overflowed into their neighbours).
  sizeOf(node) {
    const size = nodeSize(node);
    if (!this.measure) { this.measure = document.createElement("canvas").getContext("2d"); this.measure.font = LABEL_FONT; }
    const style = KIND_STYLE[node.kind] || KIND_STYLE.service;
    const title = this.measure.measureText(`${style.glyph} ${node.label || node.id}`).width;
    const sub = this.measure.measureText(describe(node)).width * 0.82 + (ceiling(node) ? 110 : 40); // 13 px, plus "· 3 up (of max 8)"
    return { width: Math.ceil(Math.max(size.width, title + 24, sub + 20)), height: size.height };
  }

  // Zoom and pan: Ctrl+wheel (or a pinch) zooms at the pointer, a drag on the background pans,
  // and the buttons zoom, fit the whole topology, or go back to the readable default.
  buildViewControls() {
    const bar = document.createElement("div");
    bar.className = "stage-tools";
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", gettext("Zoom"));
    bar.innerHTML = `<span class="stage-hint muted" hidden>${gettext("drag to pan · Ctrl+wheel zooms")}</span>`
      + `<button type="button" data-zoom="out" title="${gettext("Zoom out (-)")}" aria-label="${gettext("Zoom out")}">−</button>`
      + `<button type="button" data-zoom="in" title="${gettext("Zoom in (+)")}" aria-label="${gettext("Zoom in")}">+</button>`
      + `<button type="button" data-zoom="fit" title="${gettext("Fit the whole topology (f)")}" aria-keyshortcuts="f">${gettext("Fit")}</button>`;
    this.container.append(bar);
    this.hint = bar.querySelector(".stage-hint");
    bar.addEventListener("click", (ev) => {
      const b = ev.target.closest("[data-zoom]");
      if (!b) return;
      if (b.dataset.zoom === "fit") this.fit();
      else this.zoomBy(b.dataset.zoom === "in" ? 1.25 : 0.8);
    });
    this.svg.addEventListener("wheel", (ev) => {
      if (!ev.ctrlKey && !ev.metaKey) return; // a plain wheel scrolls the page
      ev.preventDefault();
      const r = this.svg.getBoundingClientRect();
      this.zoomBy(Math.exp(-ev.deltaY * 0.002), ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });
    let drag = null;
    this.svg.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0 || ev.target.closest(".node")) return;
      drag = { x: ev.clientX, y: ev.clientY, ox: this.ox, oy: this.oy };
      this.svg.setPointerCapture(ev.pointerId);
      this.svg.classList.add("panning");
    });
    this.svg.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      this.setView(this.scale, drag.ox + ev.clientX - drag.x, drag.oy + ev.clientY - drag.y);
    });
    const end = () => { drag = null; this.svg.classList.remove("panning"); };
    this.svg.addEventListener("pointerup", end);
    this.svg.addEventListener("pointercancel", end);
  }

  zoomBy(factor, cx = this.W / 2, cy = this.H / 2) {
    const scale = Math.max(Math.min(this.fitScale, MIN_SCALE) * 0.8, Math.min(MAX_ZOOM, this.scale * factor));
    const k = scale / this.scale;
    this.setView(scale, cx - (cx - this.ox) * k, cy - (cy - this.oy) * k);
  }

  // The whole topology in view, however small; pressing it again goes back to the readable size.
  fit() {
    const b = this.bounds;
    if (this.view && Math.abs(this.scale - this.fitScale) < 1e-6) { this.view = null; this.resize(true); return; }
    const s = this.fitScale;
    this.setView(s, (this.W - (b.x1 - b.x0) * s) / 2 - b.x0 * s, (this.H - (b.y1 - b.y0) * s) / 2 - b.y0 * s);
  }

  setView(scale, ox, oy) {
    this.view = { scale, ox, oy };
    this.scale = scale; this.ox = ox; this.oy = oy;
    this.applyView();
  }

  applyView() {
    this.root?.setAttribute("transform", `translate(${this.ox},${this.oy}) scale(${this.scale})`);
    this.positions = new Map();
    for (const [id, box] of this.boxes) this.positions.set(id, this.toScreen(box.x, box.y));
    for (const [name, c] of this.cells) this.positions.set(name, this.toScreen(c.x + c.w / 2, c.y + c.h / 2));
    this.anchors = new Map();
    const b = this.bounds;
    const outside = this.ox + b.x0 * this.scale < -2 || this.ox + b.x1 * this.scale > this.W + 2
      || this.oy + b.y0 * this.scale < -2 || this.oy + b.y1 * this.scale > this.H + 2;
    this.container.classList.toggle("pannable", outside);
    if (this.hint) this.hint.hidden = !outside;
  }

  buildBoxes() {
    const nodes = this.doc.nodes || [];
    // The editor's positions, spread out: run-view boxes are bigger and messages need room.
    const sizeOf = (n) => this.sizeOf(n);
    let boxes = nodes.map((n) => ({ node: n, ...sizeOf(n), x: n.x * 1.6, y: n.y * 1.25 }));
    if (!hasPositions(this.doc) || overlaps(boxes)) {
      const pos = autoLayout(this.doc, sizeOf, COLUMN_GAP);
      boxes = nodes.map((n) => ({ node: n, ...sizeOf(n), ...pos.get(n.id) }));
    }
    this.boxes = new Map(boxes.map((b) => [b.node.id, b]));
    this.cells = new Map();
    for (const b of boxes) for (const c of instanceCells(b.node, b)) this.cells.set(c.name, { ...c, box: b });
    const xs = boxes.flatMap((b) => [b.x - b.width / 2, b.x + b.width / 2]);
    const ys = boxes.flatMap((b) => [b.y - b.height / 2, b.y + b.height / 2]);
    this.bounds = xs.length ? { x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys) - 22, y1: Math.max(...ys) } : { x0: 0, x1: 1, y0: 0, y1: 1 };
  }

  // Fit the topology to the stage, but never below MIN_SCALE: what does not fit at that size is
  // panned (f fits it all), so titles stay readable and the side panel (counters, inspector and
  // its fault buttons) stays beside the stage, on the same screen. The stage's height is the
  // page's (run.js fitLayout). In presentation mode the whole topology is fitted, whatever
  // the scale: a projector shows all of it. The default view starts where the flow starts (left).
  resize(force = false) {
    const b = this.bounds;
    const bw = b.x1 - b.x0, bh = b.y1 - b.y0;
    const W = Math.max(200, this.container.getBoundingClientRect().width);
    const fitW = (W - 2 * PAD) / bw;
    const H = Math.round(this.container.getBoundingClientRect().height); // CSS may hold it (presenting)
    if (!force && this.W === W && this.H === H) return;
    this.W = W; this.H = H;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(W * dpr);
    this.canvas.height = Math.round(H * dpr);
    this.canvas.style.width = `${W}px`;
    this.canvas.style.height = `${H}px`;
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.fitScale = Math.min(fitW, (H - 2 * PAD) / bh, MAX_SCALE);
    if (this.view) ({ scale: this.scale, ox: this.ox, oy: this.oy } = this.view);
    else {
      this.scale = document.body.classList.contains("presenting") ? this.fitScale : Math.max(MIN_SCALE, this.fitScale);
      const w = bw * this.scale, h = bh * this.scale;
      this.ox = (w <= W - 2 * PAD ? (W - w) / 2 : PAD) - b.x0 * this.scale;
      this.oy = (h <= H - 2 * PAD ? (H - h) / 2 : PAD) - b.y0 * this.scale;
    }
    this.svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    this.svg.setAttribute("width", W);
    this.svg.setAttribute("height", H);
    this.renderSvg();
    this.lastSvgState = null;
    this.applyView();
    this.onRebuild?.();
  }

  // Where a message from `from` to `to` starts and ends: an instance's cell, or the edge of a box.
  anchorPair(from, to) {
    const pa = this.positions.get(from) || this.positions.get(nodeOf(from));
    const pb = this.positions.get(to) || this.positions.get(nodeOf(to));
    if (!pa || !pb) return null;
    const end = (name, self, other) => {
      if (this.cells.has(name)) return self;
      const box = this.boxes.get(nodeOf(name));
      if (!box) return self;
      const c = this.toScreen(box.x, box.y);
      const [x, y] = edgePoint({ x: c.x, y: c.y, width: box.width * this.scale, height: box.height * this.scale }, other);
      return { x, y };
    };
    return [end(from, pa, pb), end(to, pb, pa)];
  }

  toScreen(x, y) { return { x: this.ox + x * this.scale, y: this.oy + y * this.scale }; }

  renderSvg() {
    this.svg.replaceChildren();
    const defs = el("defs", {}, this.svg);
    const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#555" }, marker);
    const root = el("g", { transform: `translate(${this.ox},${this.oy}) scale(${this.scale})` }, this.svg);
    this.root = root;
    const edgeLayer = el("g", { class: "edges" }, root);
    for (const e of this.doc.edges || []) {
      const a = this.boxes.get(e.from), b = this.boxes.get(e.to);
      if (!a || !b) continue;
      const [x1, y1] = edgePoint(a, b), [x2, y2] = edgePoint(b, a);
      el("line", { x1, y1, x2, y2, class: `edge${e.when === "error" ? " edge-error" : ""}`, "marker-end": "url(#arrow)" }, edgeLayer);
      if (e.when === "error") {
        const t = el("text", { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 6, class: "edge-label" }, edgeLayer);
        t.textContent = gettext("on error");
      }
    }
    this.nodeEls = new Map();
    this.cellEls = new Map();
    for (const [id, box] of this.boxes) {
      const node = box.node, style = KIND_STYLE[node.kind] || KIND_STYLE.service;
      const g = el("g", { class: `node kind-${node.kind}`, "data-node": id, tabindex: "0", role: "button" }, root);
      const n = this.cellsOf(id).length;
      g.setAttribute("aria-label", `${style.short} ${node.label || id}${n ? ", " + interpolate(ngettext("%(n)s instance", "%(n)s instances", n), { n }, true) : ""}`);
      el("rect", { x: box.x - box.width / 2, y: box.y - box.height / 2, width: box.width, height: box.height, rx: 10, fill: style.fill, stroke: style.stroke, class: "node-box" }, g);
      const title = el("text", { x: box.x - box.width / 2 + 10, y: box.y - box.height / 2 + 22, class: "node-label" }, g);
      title.textContent = `${style.glyph} ${node.label || id}`;
      const sub = el("text", { x: box.x - box.width / 2 + 10, y: box.y - box.height / 2 + 42, class: "node-sub" }, g);
      sub.textContent = describe(node);
      this.nodeEls.set(id, { g, sub, base: describe(node) });
      g.addEventListener("click", (ev) => { if (!ev.target.closest(".inst")) this.onSelect({ node: id }); });
      g.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); ev.stopPropagation(); this.onSelect({ node: id }); } });
      for (const c of this.cellsOf(id)) {
        const cg = el("g", { class: "inst", "data-instance": c.name, tabindex: "0", role: "button", "aria-label": interpolate(gettext("instance %(name)s"), { name: c.name }, true) }, g);
        const rect = el("rect", { x: c.x, y: c.y, width: c.w, height: c.h, rx: 4, class: "inst-box" }, cg);
        const bar = el("rect", { x: c.x + c.w - 6, y: c.y + c.h, width: 4, height: 0, class: "queue-bar" }, cg);
        const busy = el("text", { x: c.x + c.w / 2 - 3, y: c.y + 14, class: "inst-busy" }, cg);
        const q = el("text", { x: c.x + c.w / 2 - 3, y: c.y + 29, class: "inst-queue" }, cg);
        const tip = el("title", {}, cg);
        this.cellEls.set(c.name, { cg, rect, bar, busy, q, tip, cell: c });
        const select = () => this.onSelect({ node: id, instance: c.name });
        cg.addEventListener("click", select);
        cg.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); ev.stopPropagation(); select(); } });
      }
    }
  }

  cellsOf(id) {
    const out = [];
    for (const c of this.cells.values()) if (c.box.node.id === id) out.push(c);
    return out;
  }

  highlight(selection) {
    for (const { g } of this.nodeEls.values()) g.classList.remove("selected");
    for (const { cg } of this.cellEls.values()) cg.classList.remove("selected");
    if (!selection) return;
    if (selection.instance && this.cellEls.has(selection.instance)) this.cellEls.get(selection.instance).cg.classList.add("selected");
    else if (selection.node && this.nodeEls.has(selection.node)) this.nodeEls.get(selection.node).g.classList.add("selected");
  }

  // Queue lengths, busy workers, up/down: cheap DOM writes, only when something changed.
  updateSvg(state, now) {
    for (const [name, c] of this.cellEls) {
      const inst = state.instances.get(name);
      if (!inst) continue;
      const node = c.cell.box.node;
      const q = state.queued(name);
      const busy = inst.busy.size;
      const slow = inst.slowUntil > now;
      const key = `${q}|${busy}|${inst.up}|${inst.stopped}|${slow}`;
      if (c.key === key) continue;
      c.key = key;
      // A slot not running (never started, idle, drained) is not drawn; the node's line
      // says how many are up of how many it may have.
      c.cg.classList.toggle("stopped", inst.stopped);
      // "48/2000" overflows a cell; an orchestrator's replica has no worker limit to show.
      const limit = node.kind === "orchestrator" ? Infinity : node.concurrency || 1;
      c.busy.textContent = inst.up ? (limit >= 100 ? String(busy) : `${busy}/${limit}`) : gettext("down");
      c.q.textContent = inst.up ? (q ? `q${q}` : "·") : "✖";
      const barH = Math.min(c.cell.h, q * 3);
      c.bar.setAttribute("y", c.cell.y + c.cell.h - barH);
      c.bar.setAttribute("height", barH);
      c.cg.classList.toggle("down", !inst.up);
      c.cg.classList.toggle("slow", slow);
      c.cg.classList.toggle("busy", busy > 0);
      const state_ = inst.up ? gettext("up") : (inst.stopped ? gettext("stopped") : gettext("DOWN")) + (inst.downReason ? ` (${reasonText(inst.downReason)})` : "");
      c.tip.textContent = `${name}: ${state_}${slow ? ", " + gettext("slowed") : ""}\n` + interpolate(gettext("working: %(busy)s of %(concurrency)s\nwaiting in queue: %(queued)s\nprocessed: %(processed)s\npicked by the balancer: %(picked)s"), { busy, concurrency: node.concurrency || 1, queued: q, processed: inst.processed, picked: inst.picked }, true);
    }
    for (const [id, n] of this.nodeEls) {
      const node = n.g.dataset.node && this.boxes.get(id).node;
      let text = n.base;
      if (node.kind === "load_balancer") text = `${n.base}`;
      else if (POOL_KINDS.has(node.kind)) {
        const up = [...state.instances.values()].filter((i) => i.node === id && i.up).length;
        const most = ceiling(node);
        text = `${n.base} · ${most ? interpolate(gettext("%(n)s up of max %(most)s"), { n: up, most }, true) : interpolate(gettext("%(n)s up"), { n: up }, true)}`;
      } else if (node.kind === "database") text = `${n.base} · ${interpolate(gettext("%(n)s busy"), { n: (state.instances.get(id)?.busy.size) || 0 }, true)} · q${state.queued(id)}`;
      if (n.text !== text) { n.sub.textContent = text; n.text = text; }
    }
  }

  // One animation frame at display time `now` (simulated ms).
  draw(state, now, { minVisible = 0, markerWindow = 1500, flashWindow = 600, wallNow = performance.now() } = {}) {
    const ctx = this.ctx;
    ctx.clearRect(0, 0, this.W, this.H);
    const list = state.inflight;
    if (wallNow - this.sampleCheckedAt > 1000) this.chooseSample(list.length, wallNow);
    const n = this.sampleN;
    const r = Math.max(3, Math.min(6, 5 * this.scale));
    let drawn = 0;
    for (let pass = 0; pass < 2; pass++) {
      ctx.beginPath();
      for (let i = 0; i < list.length; i++) {
        const m = list[i];
        if (n > 1) { if (m.h === undefined) m.h = hashReq(m.req); if (m.h % n) continue; }
        if (m.reply === undefined) m.reply = (this.layerOf.get(nodeOf(m.from)) ?? 0) > (this.layerOf.get(nodeOf(m.to)) ?? 0);
        if (m.reply !== (pass === 1)) continue;
        const key = m.from + ">" + m.to;
        let ends = this.anchors.get(key);
        if (ends === undefined) { ends = this.anchorPair(m.from, m.to); this.anchors.set(key, ends); }
        if (!ends) continue;
        const a = ends[0], b = ends[1];
        const span = Math.max(m.arrive_t - m.t, minVisible);
        let f = span > 0 ? (now - m.t) / span : 1;
        f = f < 0 ? 0 : f > 1 ? 1 : f;
        let x = a.x + (b.x - a.x) * f, y = a.y + (b.y - a.y) * f;
        if (pass === 1) { y += 5; } else { y -= 2; }
        ctx.moveTo(x + r, y);
        ctx.arc(x, y, r, 0, 6.283185307179586);
        drawn++;
      }
      ctx.fillStyle = pass === 0 ? COLORS.request : COLORS.reply;
      ctx.fill();
    }
    this.drawnCount = drawn;
    // The balancer's pick: a ring around the chosen instance, fading.
    ctx.lineWidth = 3;
    for (const [name, t] of state.flashes) {
      const age = now - t;
      if (age < 0 || age > flashWindow) continue;
      const p = this.cells.get(name);
      if (!p) continue;
      const s = this.toScreen(p.x, p.y);
      ctx.strokeStyle = `rgba(0,158,115,${1 - age / flashWindow})`;
      ctx.strokeRect(s.x - 3, s.y - 3, p.w * this.scale + 6, p.h * this.scale + 6);
    }
    this.drawLabels(state, now, markerWindow);
    ctx.globalAlpha = 1;
  }

  // Where things went wrong (or an instance stopped, a pool resized): labels in a lane beside
  // the node's box, below it when there is room, else above, right or left, stacked and
  // fading. A place that would cover a node's title, a stage's figures or another label is
  // never used: the label is left out instead. `labelBoxes` keeps what was drawn (screen px).
  drawLabels(state, now, markerWindow) {
    const ctx = this.ctx;
    const groups = new Map(); // node -> Map(text -> {age, count, color})
    for (let i = state.markers.length - 1; i >= 0; i--) {
      const mk = state.markers[i];
      const age = now - mk.t;
      if (age > markerWindow) break;
      if (age < 0 || !mk.at) continue;
      const node = nodeOf(mk.at);
      if (!this.boxes.has(node)) continue;
      const [label, color] = MARKER[mk.kind] || [mk.text, COLORS.error];
      const what = mk.kind === "fault" ? `⚡ ${mk.text}` : mk.kind === "down" ? `✖ ${mk.text}`
        : mk.kind === "stop" ? `■ ${mk.text}` : mk.kind === "scale" ? `⇅ ${mk.text}` : mk.kind === "saga" ? `↺ ${mk.text}` : label;
      const text = NAMED.has(mk.kind) && mk.at !== node ? `${what} · ${mk.at}` : what;
      let byText = groups.get(node);
      if (!byText) { byText = new Map(); groups.set(node, byText); }
      const g = byText.get(text);
      if (g) g.count += 1;
      else if (byText.size < LABELS_PER_NODE) byText.set(text, { age, count: 1, color });
    }
    const size = Math.round(Math.max(13, 14 * this.scale));
    ctx.font = `bold ${size}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    const h = size + 6, gap = 3;
    const titles = [], bodies = [];
    for (const box of this.boxes.values()) {
      const tl = this.toScreen(box.x - box.width / 2, box.y - box.height / 2);
      const w = box.width * this.scale;
      titles.push({ x: tl.x, y: tl.y, w, h: TITLE_BAND * this.scale });
      bodies.push({ x: tl.x, y: tl.y, w, h: box.height * this.scale });
    }
    // A stage's backlog line and bottleneck flag (static/js/stageview.js) are figures too. Their
    // text changes twice a second, between the frames that place labels, so the whole band each
    // may take (as wide as the stage, one line high) is kept free, empty or not.
    if (groups.size) {
      const origin = this.canvas.getBoundingClientRect();
      for (const badge of this.svg.querySelectorAll(".stage-badge")) {
        const outline = badge.querySelector(".stage-outline");
        if (!outline) continue;
        const o = outline.getBoundingClientRect();
        const ratio = o.height / Math.max(1, Number(outline.getAttribute("height")) || 1);
        const line = (parseFloat(badge.style.fontSize) || 12) * ratio * 1.35;
        const x = o.x - origin.x, y = o.y - origin.y;
        titles.push({ x, y: y + o.height, w: o.width, h: line }, { x, y: y - line, w: o.width, h: line });
        for (const t of badge.querySelectorAll(".stage-figures, .stage-flag")) {
          if (!t.textContent) continue;
          const r = t.getBoundingClientRect();
          titles.push({ x: r.x - origin.x, y: r.y - origin.y, w: r.width, h: r.height });
        }
      }
    }
    const placed = [];
    const hits = (r, list) => list.some((o) => r.x < o.x + o.w && o.x < r.x + r.w && r.y < o.y + o.h && o.y < r.y + r.h);
    for (const [node, byText] of groups) {
      const box = this.boxes.get(node);
      const tl = this.toScreen(box.x - box.width / 2, box.y - box.height / 2);
      const bw = box.width * this.scale, bh = box.height * this.scale;
      const cx = tl.x + bw / 2;
      let k = 0;
      for (const [text, g] of byText) {
        const shown = g.count > 1 ? `${text} ×${g.count}` : text;
        const w = ctx.measureText(shown).width + 10;
        // Slots outward from the box: below, above, then beside it.
        const slots = [];
        for (let j = k; j < k + LABELS_PER_NODE; j++) {
          slots.push({ x: cx - w / 2, y: tl.y + bh + 4 + j * (h + gap) });
          slots.push({ x: cx - w / 2, y: tl.y - 4 - (j + 1) * (h + gap) + gap });
        }
        for (let j = 0; j < LABELS_PER_NODE; j++) {
          const y = tl.y + TITLE_BAND * this.scale + j * (h + gap);
          slots.push({ x: tl.x + bw + 6, y }, { x: tl.x - 6 - w, y });
        }
        const free = slots.map((p) => ({ ...p, w, h })).filter((r) => r.x >= 0 && r.y >= 0 && r.x + w <= this.W && r.y + h <= this.H && !hits(r, titles) && !hits(r, placed));
        const r = free.find((c) => !hits(c, bodies)) || free[0];
        if (!r) continue;
        placed.push({ ...r, text: shown });
        k += 1;
        ctx.globalAlpha = Math.max(0.25, 1 - g.age / markerWindow);
        ctx.fillStyle = "rgba(255,255,255,0.92)";
        ctx.fillRect(r.x, r.y, r.w, r.h);
        ctx.fillStyle = g.color;
        ctx.fillText(shown, r.x + r.w / 2, r.y + h - 5);
      }
    }
    ctx.globalAlpha = 1;
    this.labelBoxes = placed;
  }

  chooseSample(count, wallNow) {
    this.sampleCheckedAt = wallNow;
    let n = this.sampleN;
    if (count / n > MAX_DRAWN) n = SAMPLE_STEPS.find((s) => count / s <= MAX_DRAWN * 0.8) || 1000;
    else if (n > 1 && count / n < MAX_DRAWN * 0.25) n = [...SAMPLE_STEPS].reverse().find((s) => s < n && count / s <= MAX_DRAWN * 0.6) || 1;
    this.sampleN = n;
  }
}

function countPicks(state, lb) {
  const counts = state.pickCounts.get(lb);
  let total = 0;
  if (counts) for (const v of counts.values()) total += v;
  return total;
}

// How many instances a pool may grow to, when it may grow at all (an autoscaler, a function).
function ceiling(node) {
  return node.kind === "function" ? node.max_instances || 10 : node.autoscale?.max;
}

function describe(node) {
  const style = KIND_STYLE[node.kind] || { short: node.kind };
  switch (node.kind) {
    case "client": case "source": return `${style.short} · ${node.rate ?? "?"}/s`;
    case "load_balancer": return word(node.algorithm || "round_robin");
    case "service": case "filter": case "function": return `${style.short} · ${fmtDuration(node.service_time)}`;
    case "aggregator": return `${gettext("gather")} · ${word(node.completion || "all")}`;
    default: return style.short;
  }
}

function fmtDuration(d) {
  if (d === undefined || d === null) return "10 ms";
  if (typeof d === "number") return `${d} ms`;
  if (d.ms !== undefined) return `${d.ms} ms`;
  if (d.mean_ms !== undefined) return `~${d.mean_ms} ms`;
  if (d.median_ms !== undefined) return `~${d.median_ms} ms`;
  if (d.min_ms !== undefined) return `${d.min_ms}–${d.max_ms} ms`;
  return "";
}

function edgePoint(a, b) {
  // Where the line from a's centre towards b leaves a's box.
  const dx = b.x - a.x, dy = b.y - a.y;
  if (!dx && !dy) return [a.x, a.y];
  const sx = dx ? (a.width / 2) / Math.abs(dx) : Infinity;
  const sy = dy ? (a.height / 2) / Math.abs(dy) : Infinity;
  const s = Math.min(sx, sy);
  return [a.x + dx * s, a.y + dy * s];
}
