// Scatter-gather panel for the run view: a table of recent gathers, a per-request timeline
// (one bar per worker from the scatter to its reply, the deadline as a line, late replies
// greyed), and a deadline sweep (completeness and latency side by side, from headless runs).
// Mounted only when the topology has an aggregator; fed every event in seq order.

import { request } from "./api.js";
import { escapeHtml as esc } from "./dom.js";
import { gettext, ngettext, interpolate } from "./i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const ROWS = 30;

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

export class GatherView {
  static mount(root, doc, { runId } = {}) {
    const aggregators = (doc.nodes || []).filter((n) => n.kind === "aggregator");
    if (!root || !aggregators.length) return null;
    root.hidden = false;
    return new GatherView(root, aggregators, runId, dispatchersOf(doc));
  }

  constructor(root, aggregators, runId, dispatchers = new Map()) {
    this.root = root;
    this.specs = new Map(aggregators.map((n) => [n.id, n]));
    this.runId = runId;
    this.table = root.querySelector("[data-gathers]");
    this.timeline = root.querySelector("[data-timeline]");
    this.caption = root.querySelector("[data-timeline-caption]");
    this.sweepBox = root.querySelector("[data-sweep]");
    this.result = root.querySelector("[data-stored]");
    this.chosen = null;
    this.clear();
    this.table.addEventListener("click", (ev) => {
      const row = ev.target.closest("tr[data-req]");
      if (row) this.show(Number(row.dataset.req));
    });
    // Clicking an aggregator (or its dispatcher) in the animation shows its latest request here.
    this.dispatchers = dispatchers;
    document.getElementById("stage")?.addEventListener("click", (ev) => {
      const g = ev.target.closest?.("[data-node]");
      const agg = g && (this.specs.has(g.dataset.node) ? g.dataset.node : this.dispatchers.get(g.dataset.node));
      if (agg) this.showLatest(agg);
    });
    const button = root.querySelector("[data-sweep-run]");
    if (button) button.addEventListener("click", () => this.sweep());
  }

  clear() {
    this.done = new Map(); // req -> aggregate.done
    this.late = new Map(); // req -> [aggregate.late]
    this.writes = new Map(); // req -> store.write
    this.reads = new Map(); // req -> [store.read]
    this.order = [];
    this.dirty = true;
  }

  push(e) {
    if (e.type === "aggregate.done") {
      this.done.set(e.req, e);
      this.order.push(e.req);
      this.dirty = true;
    } else if (e.type === "store.write") {
      this.writes.set(e.req, e);
      this.dirty = true;
    } else if (e.type === "store.read") {
      if (!this.reads.has(e.req)) this.reads.set(e.req, []);
      this.reads.get(e.req).push(e);
      this.dirty = true;
    } else if (e.type === "aggregate.late") {
      if (!this.late.has(e.req)) this.late.set(e.req, []);
      this.late.get(e.req).push(e);
      this.dirty = true;
    }
  }

  render() {
    if (!this.dirty) return;
    this.dirty = false;
    const rows = this.order.slice(-ROWS).reverse().map((req) => {
      const d = this.done.get(req);
      const cls = d.partial ? "gather-partial" : "gather-complete";
      const chosen = req === this.chosen ? " chosen" : "";
      return `<tr data-req="${esc(req)}" class="${cls}${chosen}"><td>${esc(req)}</td><td>${esc(d.node)}</td>`
        + `<td>${esc(d.received)}/${esc(d.expected)}</td><td>${esc(d.reason)}</td>`
        + `<td>${esc((d.t - d.started_t).toFixed(1))}</td><td>${esc((d.missing || []).join(", "))}</td></tr>`;
    });
    this.table.innerHTML = `<table class="table compact gathers"><thead><tr><th>${gettext("req")}</th><th>${gettext("aggregator")}</th>`
      + `<th>${gettext("replies")}</th><th>${gettext("why it closed")}</th><th>ms</th><th>${gettext("missing")}</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
    if (this.chosen === null && this.order.length) this.draw(this.order[this.order.length - 1]);
    else if (this.chosen !== null) this.draw(this.chosen);
  }

  showLatest(node) {
    for (let i = this.order.length - 1; i >= 0; i--) {
      if (this.done.get(this.order[i]).node === node) return this.show(this.order[i]);
    }
  }

  show(req) {
    this.chosen = req;
    this.dirty = true;
    this.render();
  }

  draw(req) {
    const d = this.done.get(req);
    const svg = this.timeline;
    svg.replaceChildren();
    if (!d) return;
    const spec = this.specs.get(d.node) || {};
    const late = this.late.get(req) || [];
    const write = this.writes.get(req);
    const reads = this.reads.get(req) || [];
    const workers = [...d.replies.map((r) => r.from), ...(d.missing || [])];
    const ends = [...d.replies.map((r) => r.t), ...late.map((l) => l.t), d.t];
    if (write) ends.push(write.t);
    for (const r of reads) ends.push(r.t);
    const deadline = spec.timeout_ms != null ? d.started_t + spec.timeout_ms : null;
    if (deadline !== null) ends.push(deadline);
    const span = Math.max(1e-9, Math.max(...ends) - d.started_t);
    const storeRows = d.store ? 2 : 0; // the write into the store, the client's reads by id
    const W = 640, left = 120, right = 24, rowH = 22, top = 24;
    const bottom = top + (workers.length + storeRows) * rowH;
    const H = bottom + 34;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("width", W);
    svg.setAttribute("height", H);
    const x = (t) => left + ((t - d.started_t) / span) * (W - left - right);
    const label = (i, text) => svg.appendChild(el("text", { x: left - 6, y: top + i * rowH + 14, "text-anchor": "end", class: "gt-label" }, text));
    workers.forEach((w, i) => {
      const y = top + i * rowH;
      const reply = d.replies.find((r) => r.from === w);
      const lateReply = late.find((l) => l.from === w);
      label(i, w);
      if (reply) {
        svg.appendChild(el("rect", { x: x(d.started_t), y: y + 3, width: Math.max(1, x(reply.t) - x(d.started_t)), height: rowH - 8, class: "gt-bar", "data-worker": w }));
      } else if (lateReply) {
        svg.appendChild(el("rect", { x: x(d.started_t), y: y + 3, width: Math.max(1, x(lateReply.t) - x(d.started_t)), height: rowH - 8, class: "gt-late", "data-worker": w }));
        // Inside the grey bar, at its start: clear of the answer and deadline lines at its end.
        svg.appendChild(el("text", { x: x(d.started_t) + 4, y: y + 14, class: "gt-note" }, interpolate(gettext("late by %(ms)s ms"), { ms: lateReply.late_ms.toFixed(0) }, true)));
      } else {
        svg.appendChild(el("rect", { x: x(d.started_t), y: y + 3, width: W - right - x(d.started_t), height: rowH - 8, class: "gt-missing", "data-worker": w }));
        svg.appendChild(el("text", { x: x(d.started_t) + 4, y: y + 14, class: "gt-note" }, gettext("no reply (failed or still on its way)")));
      }
    });
    if (storeRows) {
      const yw = top + workers.length * rowH;
      label(workers.length, interpolate(gettext("write to %(store)s"), { store: d.store }, true));
      if (write) svg.appendChild(el("rect", { x: x(d.t), y: yw + 3, width: Math.max(2, x(write.t) - x(d.t)), height: rowH - 8, class: "gt-write" }));
      const yr = yw + rowH;
      label(workers.length + 1, reads.length ? interpolate(gettext("fetch by %(from)s"), { from: reads[0].from }, true) : gettext("fetch by id"));
      for (const r of reads) {
        svg.appendChild(el("circle", { cx: x(r.t), cy: yr + rowH / 2, r: 5, class: r.found ? "gt-found" : "gt-miss" },
          undefined));
        svg.lastChild.appendChild(el("title", {}, interpolate(gettext("attempt %(attempt)s: %(found)s"), { attempt: r.attempt, found: r.found ? gettext("found") : gettext("not there yet") }, true)));
      }
    }
    // Closed by its deadline: the two lines would lie on top of each other, so one line, one label.
    const atDeadline = deadline !== null && Math.abs(x(d.t) - x(deadline)) < 4;
    const closeAnchor = x(d.t) > W - right - 80 ? "end" : "middle";
    if (!atDeadline) {
      svg.appendChild(el("line", { x1: x(d.t), x2: x(d.t), y1: top - 6, y2: bottom, class: "gt-close" }));
      svg.appendChild(el("text", { x: x(d.t), y: top - 10, "text-anchor": closeAnchor, class: "gt-note" }, gettext("answered")));
    }
    svg.appendChild(el("line", { x1: left, x2: W - right, y1: bottom + 2, y2: bottom + 2, class: "sw-axis" }));
    svg.appendChild(el("text", { x: left, y: bottom + 14, class: "gt-note" }, "0"));
    svg.appendChild(el("text", { x: W - right, y: bottom + 14, "text-anchor": "end", class: "gt-note" }, `${span.toFixed(0)} ms`));
    if (atDeadline) {
      svg.appendChild(el("line", { x1: x(deadline), x2: x(deadline), y1: top - 6, y2: bottom, class: "gt-deadline gt-close-deadline" }));
      svg.appendChild(el("text", { x: x(deadline), y: top - 10, "text-anchor": closeAnchor, class: "gt-note gt-deadline-label" }, interpolate(gettext("answered at deadline %(ms)s ms"), { ms: spec.timeout_ms }, true)));
    } else if (deadline !== null) {
      svg.appendChild(el("line", { x1: x(deadline), x2: x(deadline), y1: top - 6, y2: bottom, class: "gt-deadline" }));
      // Its own line below the axis labels, so it never sits on top of them.
      const anchor = x(deadline) > W - right - 60 ? "end" : "middle";
      svg.appendChild(el("text", { x: x(deadline), y: bottom + 28, "text-anchor": anchor, class: "gt-note gt-deadline-label" }, interpolate(gettext("deadline %(ms)s ms"), { ms: spec.timeout_ms }, true)));
    }
    let caption = interpolate(gettext("request %(req)s at %(node)s: %(received)s/%(expected)s replies, %(reason)s"), { req, node: d.node, received: d.received, expected: d.expected, reason: d.reason }, true);
    if (d.missing && d.missing.length) caption += " " + interpolate(gettext("(missing %(missing)s)"), { missing: d.missing.join(", ") }, true);
    if (late.length) caption += "; " + interpolate(gettext("%(n)s late"), { n: late.length }, true);
    if (d.store) {
      caption += "; " + (write ? interpolate(gettext("stored in %(store)s under id %(req)s"), { store: d.store, req }, true) : gettext("not stored yet"));
      const found = reads.find((r) => r.found);
      if (found) caption += ", " + interpolate(gettext("fetched by %(from)s on attempt %(attempt)s at %(t)s s"), { from: found.from, attempt: found.attempt, t: (found.t / 1000).toFixed(2) }, true);
      else if (reads.length) caption += ", " + interpolate(ngettext("%(n)s fetch found nothing yet", "%(n)s fetches found nothing yet", reads.length), { n: reads.length }, true);
    }
    this.caption.textContent = caption;
    this.result.textContent = d.store && write ? `${d.store}[${req}] = ${JSON.stringify(d.result)}` : "";
    this.result.hidden = !this.result.textContent;
  }

  // -- the deadline sweep ------------------------------------------------------
  async sweep() {
    const agg = [...this.specs.values()][0];
    // Without a deadline of its own, sweep around how long its gathers took in this run.
    const took = this.order.filter((r) => this.done.get(r).node === agg.id).map((r) => this.done.get(r).t - this.done.get(r).started_t).sort((a, b) => a - b);
    const base = agg.timeout_ms || (took.length ? Math.max(1, Math.round(took[took.length >> 1])) : 100);
    const current = agg.timeout_ms ?? null;
    const values = [0.25, 0.5, 0.75, 1, 1.5, 2, 3].map((f) => Math.round(base * f));
    const status = this.sweepBox.querySelector("[data-sweep-status]");
    // The server queues the sweep (it runs in the background, never in the request) and
    // answers with its URL; poll it until it is finished or failed.
    let body;
    try {
      body = await request("POST", `/runs/${this.runId}/sweep/`, { node: agg.id, values });
      status.textContent = gettext("queued: the topology will run headless for each deadline…");
      while (body.status === "queued" || body.status === "running") {
        await new Promise((resolve) => setTimeout(resolve, 700));
        body = await request("GET", body.url);
        if (body.status === "running") status.textContent = gettext("running the topology headless for each deadline…");
      }
    } catch (error) {
      status.textContent = error.message || gettext("the sweep failed");
      return;
    }
    if (body.status !== "finished") {
      status.textContent = body.error || gettext("the sweep failed");
      return;
    }
    status.textContent = body.note || "";
    drawSweep(this.sweepBox.querySelector("[data-sweep-completeness]"), body.rows, current,
      gettext("completeness (replies in time)"), [{ key: (r) => r.completeness * 100, label: "%", cls: "sw-complete" }], 100);
    drawSweep(this.sweepBox.querySelector("[data-sweep-latency]"), body.rows, current,
      gettext("answer latency (ms)"), [
        { key: (r) => r.latency_ms.p50, label: "p50", cls: "sw-p50" },
        { key: (r) => r.latency_ms.p95, label: "p95", cls: "sw-p95" },
      ]);
  }
}

// dispatcher id -> the aggregator its workers reply to (as patterns.scatter.aggregators_reached).
function dispatchersOf(doc) {
  const kind = new Map((doc.nodes || []).map((n) => [n.id, n.kind]));
  const out = new Map();
  for (const e of doc.edges || []) {
    if ((e.when || "ok") !== "ok") continue;
    if (!out.has(e.from)) out.set(e.from, []);
    out.get(e.from).push(e.to);
  }
  const found = new Map();
  for (const [id, k] of kind) {
    if (k !== "dispatcher") continue;
    const seen = new Set([id]);
    const todo = [id];
    while (todo.length && !found.has(id)) {
      for (const next of out.get(todo.shift()) || []) {
        if (seen.has(next)) continue;
        seen.add(next);
        if (kind.get(next) === "aggregator") { found.set(id, next); break; }
        todo.push(next);
      }
    }
  }
  return found;
}

export function drawSweep(svg, rows, current, title, series, yMax) {
  svg.replaceChildren();
  const W = 320, H = 200, left = 44, right = 18, top = 22, bottom = 30;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("width", W);
  svg.setAttribute("height", H);
  const xs = rows.map((r) => r.value);
  const xMax = Math.max(...xs);
  const ys = rows.flatMap((r) => series.map((s) => s.key(r)));
  const top_ = yMax ?? Math.max(1, ...ys) * 1.1;
  const x = (v) => left + (v / xMax) * (W - left - right);
  const y = (v) => H - bottom - (v / top_) * (H - top - bottom);
  const seconds = xMax >= 2000;
  const fmt = (v) => (seconds ? `${+(v / 1000).toFixed(2)}` : String(v));
  svg.appendChild(el("text", { x: left, y: 14, class: "gt-title" }, title));
  svg.appendChild(el("line", { x1: left, x2: W - right, y1: H - bottom, y2: H - bottom, class: "sw-axis" }));
  svg.appendChild(el("line", { x1: left, x2: left, y1: top, y2: H - bottom, class: "sw-axis" }));
  svg.appendChild(el("text", { x: left - 4, y: y(top_) + 4, "text-anchor": "end", class: "gt-note" }, `${top_.toFixed(0)}${yMax === 100 ? "%" : ""}`));
  svg.appendChild(el("text", { x: left - 4, y: H - bottom, "text-anchor": "end", class: "gt-note" }, "0"));
  // Tick labels from the right (the largest always shows), skipping any that would overlap.
  let lastX = Infinity;
  for (const v of [...xs].sort((a, b) => b - a)) {
    const px = x(v), text = fmt(v);
    if (lastX - px < text.length * 7 + 4) continue;
    lastX = px;
    svg.appendChild(el("text", { x: px, y: H - bottom + 12, "text-anchor": px > W - right - 10 ? "end" : "middle", class: "gt-note" }, text));
  }
  svg.appendChild(el("text", { x: (W + left) / 2, y: H - 4, "text-anchor": "middle", class: "gt-note" }, (seconds ? gettext("deadline (s)") : gettext("deadline (ms)")) + (current !== null ? "; " + gettext("dashed: this run's") : "")));
  if (current !== null) svg.appendChild(el("line", { x1: x(current), x2: x(current), y1: top, y2: H - bottom, class: "gt-deadline" }));
  series.forEach((s, i) => {
    const points = rows.map((r) => `${x(r.value)},${y(s.key(r))}`).join(" ");
    svg.appendChild(el("polyline", { points, class: `sw-line ${s.cls}` }));
    for (const r of rows) svg.appendChild(el("circle", { cx: x(r.value), cy: y(s.key(r)), r: 2.5, class: `sw-dot ${s.cls}` }));
    if (series.length > 1) svg.appendChild(el("text", { x: W - right - (series.length - 1 - i) * 34, y: 14, "text-anchor": "end", class: `gt-note sw-legend ${s.cls}` }, s.label));
  });
}
