// Lanes side by side: for a topology with two or more clients or sources (designs side by side,
// docs/events.md "The summary", `lanes`), each lane's requests, latency, failures, utilisation
// and cost, folded live from the events and replaced by the summary's exact figures at the end;
// above them the difference in words ("least connections: p95 189 ms, round robin: 617 ms").
// Fed every event in seq order, so a replay scrubbed to any moment shows the same figures.
// The "what to watch" box ends with the same figures (watchFigures), so the claim and this
// run's evidence sit together.

import { h } from "./dom.js";
import { gettext, interpolate } from "./i18n.js";
import { POOL_KINDS } from "./layout.js";

const EMITTERS = new Set(["client", "source"]);
const FAILURES = ["failed", "rejected", "timed_out"];

// The same rank as runstate.js's buckets: the smallest value with at least q of them at or below.
export function percentile(sorted, q) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

// Each emitter's lane: what it reaches and no rival emitter does (patterns/lanes.py own_nodes).
export function laneNodes(doc) {
  const nodes = doc.nodes || [];
  const emitters = nodes.filter((n) => EMITTERS.has(n.kind)).map((n) => n.id);
  const out = new Map();
  for (const e of doc.edges || []) {
    if (!out.has(e.from)) out.set(e.from, []);
    out.get(e.from).push(e.to);
  }
  const reached = new Map();
  for (const c of emitters) {
    const seen = new Set([c]);
    const stack = [c];
    while (stack.length) for (const next of out.get(stack.pop()) || []) if (!seen.has(next)) { seen.add(next); stack.push(next); }
    reached.set(c, seen);
  }
  const traffic = new Map(nodes.map((n) => [n.id, n.traffic ?? null]));
  const lanes = new Map();
  for (const c of emitters) {
    const others = new Set();
    for (const o of emitters) if (o !== c && (traffic.get(c) === null || traffic.get(o) === traffic.get(c))) for (const n of reached.get(o)) others.add(n);
    lanes.set(c, nodes.map((n) => n.id).filter((id) => reached.get(c).has(id) && !others.has(id)));
  }
  return lanes;
}

// A lane's name that tells it from the other lanes: the emitter's label when no other lane has
// it, else the first node of its own design when that is its alone ("round robin" against
// "least connections"), else the emitter's id ("shoppers-sync" against "shoppers-async").
function laneNames(doc, lanes) {
  const byId = new Map((doc.nodes || []).map((n) => [n.id, n]));
  const label = (id) => byId.get(id)?.label || id;
  const own = (id) => lanes.get(id).find((m) => m !== id && !EMITTERS.has(byId.get(m)?.kind));
  const unique = (f, id) => f(id) && [...lanes.keys()].every((o) => o === id || f(o) !== f(id));
  const names = new Map();
  for (const id of lanes.keys()) {
    if (unique(label, id)) names.set(id, label(id));
    else if (unique((x) => (own(x) ? label(own(x)) : null), id)) names.set(id, label(own(id)));
    else names.set(id, id);
  }
  return names;
}

function blank() {
  return { started: 0, completed: 0, failed: 0, rejected: 0, timed_out: 0, lat: [], sorted: true, busy: 0, capacity: 0, cost: 0 };
}

const ms = (v) => (v === null || v === undefined ? "—" : `${Number(v).toLocaleString(undefined, { maximumFractionDigits: Number(v) < 10 ? 1 : 0 })} ms`);
const count = (v) => Number(v || 0).toLocaleString();
const pct = (v) => (v === null || v === undefined ? "—" : `${(Number(v) * 100).toFixed(1)} %`);
const money = (v) => `$${Number(v || 0).toFixed(Number(v) > 0 && Number(v) < 0.01 ? 4 : 2)}`;

export class LaneView {
  // null unless the topology has two or more clients or sources.
  static mount(root, doc) {
    const lanes = laneNodes(doc);
    if (!root || lanes.size < 2) return null;
    root.hidden = false;
    return new LaneView(root, doc, lanes);
  }

  constructor(root, doc, lanes) {
    this.root = root;
    this.doc = doc;
    this.lanes = lanes;
    this.names = laneNames(doc, lanes);
    this.byId = new Map((doc.nodes || []).map((n) => [n.id, n]));
    this.poolOf = new Map(); // a pool node -> the lanes it is in (two streams into one design)
    for (const [id, members] of lanes) for (const m of members) {
      const kind = this.byId.get(m)?.kind;
      if (POOL_KINDS.has(kind) || kind === "database") this.poolOf.set(m, [...(this.poolOf.get(m) || []), id]);
    }
    this.costly = (doc.nodes || []).some((n) => this.poolOf.has(n.id) && Number(n.cost_per_hour) > 0);
    this.summary = null;
    this.clear();
  }

  clear() {
    this.live = new Map([...this.lanes.keys()].map((id) => [id, blank()]));
    this.opened = new Set();
    this.lastMetricsT = 0;
    this.dirty = true;
  }

  push(e) {
    if (e.type === "msg.send") {
      const lane = this.live.get(e.from);
      if (lane && !this.opened.has(e.req)) { this.opened.add(e.req); lane.started += 1; this.dirty = true; }
    } else if (e.type === "request.done") {
      const lane = this.live.get(e.origin);
      if (!lane) return;
      const outcome = e.outcome || "ok";
      if (outcome === "ok") { lane.completed += 1; if (Number.isFinite(e.latency_ms)) { lane.lat.push(e.latency_ms); lane.sorted = false; } }
      else if (FAILURES.includes(outcome)) lane[outcome] += 1;
      this.dirty = true;
    } else if (e.type === "metrics") {
      // Busy worker time over worker time, and instance hours × rate, per one-second tick:
      // each entry's utilisation covers the time since the previous metrics event.
      const dt = e.t - this.lastMetricsT;
      this.lastMetricsT = e.t;
      for (const [node, m] of Object.entries(e.nodes || {})) {
        const spec = this.byId.get(node);
        for (const id of this.poolOf.get(node) || []) {
          const lane = this.live.get(id);
          const workers = (m.instances ?? m.instances_up ?? 0) * (spec.kind === "database" ? (spec.concurrency || 10) : (spec.concurrency || 1));
          lane.capacity += workers * dt;
          lane.busy += (m.utilization || 0) * workers * dt;
          lane.cost += (m.cost_per_hour || 0) * dt / 3_600_000;
        }
      }
      this.dirty = true;
    }
  }

  // The figures of each lane now: the summary's once the run has ended, else the fold so far.
  figures() {
    const out = new Map();
    for (const id of this.lanes.keys()) {
      const s = this.summary?.[id];
      if (s) {
        const r = s.requests || {}, l = s.latency_ms || {};
        out.set(id, { exact: true, started: r.started, completed: r.completed, failed: r.failed, rejected: r.rejected, timed_out: r.timed_out, p50: l.p50, p95: l.p95, p99: l.p99, utilization: s.utilization, cost: s.cost });
        continue;
      }
      const lane = this.live.get(id);
      if (!lane.sorted) { lane.lat.sort((a, b) => a - b); lane.sorted = true; }
      out.set(id, {
        exact: false, started: lane.started, completed: lane.completed, failed: lane.failed, rejected: lane.rejected, timed_out: lane.timed_out,
        p50: percentile(lane.lat, 0.5), p95: percentile(lane.lat, 0.95), p99: percentile(lane.lat, 0.99),
        utilization: lane.capacity > 0 ? Math.min(1, lane.busy / lane.capacity) : null, cost: lane.cost,
      });
    }
    return out;
  }

  // The lanes grouped by the traffic they claim to share (all together when none names one).
  groups() {
    const groups = new Map();
    for (const id of this.lanes.keys()) {
      const key = this.byId.get(id)?.traffic ?? "";
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(id);
    }
    return [...groups.entries()].filter(([, ids]) => ids.length > 1);
  }

  // The difference in words, per group: fastest p95 first, with failures where any lane has some.
  sentences(figs = this.figures()) {
    const out = [];
    for (const [traffic, ids] of this.groups()) {
      const ranked = [...ids].sort((a, b) => (figs.get(a).p95 ?? Infinity) - (figs.get(b).p95 ?? Infinity));
      const parts = ranked.map((id, i) => {
        const f = figs.get(id);
        const failed = (f.failed || 0) + (f.rejected || 0) + (f.timed_out || 0);
        const p95 = i === 0 ? interpolate(gettext("p95 %(ms)s"), { ms: ms(f.p95) }, true) : ms(f.p95);
        const text = failed ? interpolate(gettext("%(p95)s, %(n)s failed"), { p95, n: count(failed) }, true) : p95;
        return { id, text: `${this.names.get(id)}: ${text}` };
      });
      const who = traffic ? (this.byId.get(ids[0])?.label || traffic) : "";
      out.push({ who, parts });
    }
    return out;
  }

  // A table, a lane a column, beside the counters: the figures side by side, the better of
  // each row marked; the difference in words is the "What to watch" box's last line.
  render() {
    if (!this.dirty) return;
    this.dirty = false;
    const figs = this.figures();
    const ids = [...this.lanes.keys()];
    const exact = ids.every((id) => figs.get(id).exact);
    const failures = (f) => (f.failed || 0) + (f.rejected || 0) + (f.timed_out || 0);
    // The unit in the row's head, the cells bare numbers: four lanes fit beside the counters.
    const num = (v) => (v === null || v === undefined ? "—" : Number(v).toLocaleString(undefined, { maximumFractionDigits: Number(v) < 10 ? 1 : 0 }));
    const share = (v) => (v === null || v === undefined ? "—" : (Number(v) * 100).toFixed(1));
    const rows = [
      ["started", gettext("requests"), (f) => f.started, count, null],
      ["failures", gettext("failures"), failures, count, "low"],
      ["p50", "p50 (ms)", (f) => f.p50, num, "low"],
      ["p95", "p95 (ms)", (f) => f.p95, num, "low"],
      ["p99", "p99 (ms)", (f) => f.p99, num, "low"],
      ["utilization", `${gettext("utilisation")} (%)`, (f) => f.utilization, share, null],
    ];
    if (this.costly) rows.push(["cost", `${gettext("cost")} ($)`, (f) => f.cost, (v) => money(v).slice(1), "low"]);
    const caption = h("caption", {}, h("h2", {}, gettext("Lanes side by side")), " ",
      h("span", { id: "lanes-source", class: "muted", "data-exact": exact ? "1" : "0" }, exact ? gettext("the summary's exact figures") : gettext("so far, from the events")));
    const head = h("tr", {}, h("td", { class: "corner" }), ids.map((id) => h("th", { scope: "col", "data-lane": id, title: id }, this.names.get(id))));
    const body = rows.map(([key, label, get, show, better]) => {
      const values = ids.map((id) => get(figs.get(id)));
      const known = values.filter((v) => v !== null && v !== undefined);
      const best = better && known.length > 1 && new Set(known).size > 1 ? Math.min(...known) : null;
      return h("tr", {}, h("th", { scope: "row" }, label), ids.map((id, i) => h("td", {
        "data-lane": id, "data-fig": key, "data-value": values[i] ?? "",
        class: `${values[i] === best ? "best" : ""}${key === "failures" && values[i] ? " bad" : ""}`.trim() || null,
        title: key === "failures" ? interpolate(gettext("failed %(failed)s, rejected %(rejected)s, timed out %(timed_out)s"), { failed: count(figs.get(id).failed), rejected: count(figs.get(id).rejected), timed_out: count(figs.get(id).timed_out) }, true) : null,
      }, show(values[i]))));
    });
    this.root.replaceChildren(
      h("table", { class: `table compact lane-table${ids.length > 2 ? " many" : ""}` }, caption, h("thead", {}, head), h("tbody", {}, body)));
  }

  // The summary's `lanes` (the run has ended and every event is applied), or null for the fold.
  exact(lanes) {
    if (lanes === this.summary) return;
    this.summary = lanes;
    this.dirty = true;
  }
}

// "This run: …" at the end of "What to watch": the run's own figures (the summary's once it
// has ended, else the fold so far), each a span whose data-key names the summary's field, so a
// test can hold the page to the summary.
export function watchFigures(box, { summary, lanes, state }) {
  if (!box) return;
  const items = [];
  const add = (key, value, text) => items.push(h("span", { class: "fig", "data-key": key, "data-value": value ?? "" }, text));
  if (lanes) {
    for (const { who, parts } of lanes.sentences()) {
      items.push(h("span", {}, who ? `${who} — ` : ""));
      parts.forEach((p, i) => { if (i) items.push(", "); add(`lanes.${p.id}`, "", p.text); });
      items.push("; ");
    }
  }
  if (summary) {
    const r = summary.requests || {}, l = summary.latency_ms || {};
    add("latency_ms.p95", l.p95, interpolate(lanes ? gettext("all lanes: p95 %(ms)s") : gettext("p95 %(ms)s"), { ms: ms(l.p95) }, true));
    items.push(", ");
    add("requests.completed", r.completed, interpolate(gettext("%(n)s completed"), { n: count(r.completed) }, true));
    const failed = (r.failed || 0) + (r.rejected || 0) + (r.timed_out || 0);
    items.push(", ");
    add("requests.failures", failed, interpolate(gettext("%(n)s failed"), { n: count(failed) }, true));
    const sg = summary.sagas || {};
    if (Object.values(sg).some((v) => v)) {
      items.push("; ");
      add("sagas.completed", sg.completed, interpolate(gettext("sagas: %(n)s completed"), { n: count(sg.completed) }, true));
      items.push(", ");
      add("sagas.compensated", sg.compensated, interpolate(gettext("%(n)s compensated"), { n: count(sg.compensated) }, true));
      if (sg.resumed) { items.push(", "); add("sagas.resumed", sg.resumed, interpolate(gettext("%(n)s resumed"), { n: count(sg.resumed) }, true)); }
    }
    for (const [id, a] of Object.entries(summary.aggregators || {})) {
      items.push("; ");
      add(`aggregators.${id}.partial`, a.partial, interpolate(gettext("%(node)s: %(complete)s complete, %(partial)s partial"), { node: id, complete: count(a.complete), partial: count(a.partial) }, true));
    }
    const b = summary.bottleneck;
    if (b && b.node) {
      items.push("; ");
      add("bottleneck.utilization", b.utilization, interpolate(gettext("bottleneck: %(node)s at %(u)s"), { node: b.node, u: pct(b.utilization) }, true));
    }
    const cost = summary.cost || {};
    if (cost.per_hour > 0) {
      items.push("; ");
      add("cost.per_hour", cost.per_hour, interpolate(gettext("%(money)s an hour"), { money: money(cost.per_hour) }, true));
    }
  } else if (state) {
    const c = state.counts;
    add("requests.completed", c.ok, interpolate(gettext("%(n)s completed"), { n: count(c.ok) }, true));
    items.push(", ");
    add("requests.failures", c.failed + c.rejected + c.timed_out, interpolate(gettext("%(n)s failed"), { n: count(c.failed + c.rejected + c.timed_out) }, true));
  }
  while (items.length && (items[items.length - 1] === "; " || items[items.length - 1] === ", ")) items.pop();
  const lead = summary ? gettext("This run:") : gettext("This run so far:");
  box.replaceChildren(h("strong", {}, lead), " ", ...items, ".");
  box.hidden = false;
  box.dataset.exact = summary ? "1" : "0";
}
