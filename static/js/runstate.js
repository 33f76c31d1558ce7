// The state of a run at simulated time t, folded from its events in seq order.
// Deterministic: the same events up to T give the same state, live or replayed.

import { instanceCount, POOL_KINDS } from "./layout.js";

const ERROR_OUTCOMES = ["failed", "rejected", "timed_out"];

export function instanceName(node, instance) {
  if (instance === undefined || instance === null) return null;
  if (typeof instance === "number") return `${node}#${instance}`;
  return String(instance);
}

export function nodeOf(target) {
  const s = String(target);
  const hash = s.indexOf("#");
  return hash === -1 ? s : s.slice(0, hash);
}

function percentile(sorted, q) {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

export class RunState {
  constructor(doc, { bucketMs } = {}) {
    this.doc = doc;
    this.nodes = new Map((doc.nodes || []).map((n) => [n.id, n]));
    const duration = doc.duration_ms || 60000;
    this.bucketMs = bucketMs || niceBucket(duration / 90);
    this.origins = new Set((doc.nodes || []).filter((n) => n.kind === "client" || n.kind === "source").map((n) => n.id));
    this.reset();
  }

  reset() {
    this.t = 0;
    this.lastSeq = -1;
    this.eventsApplied = 0;
    this.counts = { started: 0, ok: 0, failed: 0, rejected: 0, timed_out: 0, picks: 0, late: 0, timeouts: 0, sends: 0 };
    this.instances = new Map();
    for (const node of this.doc.nodes || []) {
      for (let i = 0; i < instanceCount(node); i++) this._instance(`${node.id}#${i}`, node.id, node.kind !== "function");
    }
    this.waiting = new Map(); // target -> Set(req) sent to it and not started there yet
    this.inflight = []; // msg.send not yet arrived: {seq, req, from, to, t, arrive_t}
    this.picks = new Map(); // lb -> the last lb.pick event
    this.pickCounts = new Map(); // lb -> Map(instance -> count)
    this.flashes = new Map(); // instance -> t of its last pick
    this.markers = []; // {t, kind, at, text}
    this.metrics = new Map(); // node -> the last metrics entry
    this.sagas = new Map(); // state -> count
    this.buckets = [];
    this.openBucket = null;
  }

  _instance(name, node, up = true) {
    let inst = this.instances.get(name);
    if (!inst) {
      inst = { name, node, busy: new Set(), up, slowUntil: -1, slowFactor: 1, processed: 0, rejected: 0, picked: 0, downReason: "" };
      this.instances.set(name, inst);
    }
    return inst;
  }

  _waitingSet(target) {
    let set = this.waiting.get(target);
    if (!set) { set = new Set(); this.waiting.set(target, set); }
    return set;
  }

  _mark(t, kind, at, text) {
    this.markers.push({ t, kind, at, text });
    if (this.markers.length > 400) this.markers.splice(0, this.markers.length - 300);
  }

  _bucket(t) {
    const index = Math.floor(t / this.bucketMs);
    while (this.buckets.length <= index) {
      if (this.openBucket) this._close(this.openBucket);
      const b = { index: this.buckets.length, ok: 0, failed: 0, rejected: 0, timed_out: 0, lat: [], util: null, p50: null, p95: null, p99: null };
      this.buckets.push(b);
      this.openBucket = b;
    }
    return this.buckets[index];
  }

  _close(b) {
    b.lat.sort((x, y) => x - y);
    b.p50 = percentile(b.lat, 0.5);
    b.p95 = percentile(b.lat, 0.95);
    b.p99 = percentile(b.lat, 0.99);
    b.util = this.utilisation();
  }

  // Share of busy workers per pool node, from the engine's metrics when it sends them.
  utilisation() {
    const out = {};
    for (const node of this.doc.nodes || []) {
      if (!POOL_KINDS.has(node.kind) && node.kind !== "database") continue;
      const m = this.metrics.get(node.id);
      const u = m && (m.utilization ?? m.utilisation);
      if (u !== undefined && u !== null) { out[node.id] = u; continue; }
      let busy = 0, up = 0;
      for (const inst of this.instances.values()) {
        if (inst.node !== node.id) continue;
        busy += inst.busy.size;
        if (inst.up) up += 1;
      }
      const capacity = node.kind === "database" ? (node.concurrency || 10) : Math.max(1, up) * (node.concurrency || 1);
      out[node.id] = Math.min(1, busy / capacity);
    }
    return out;
  }

  queued(target) {
    const set = this.waiting.get(target);
    return set ? set.size : 0;
  }

  apply(e) {
    if (e.seq <= this.lastSeq) return;
    this.lastSeq = e.seq;
    this.t = e.t;
    this.eventsApplied += 1;
    const b = this._bucket(e.t);
    switch (e.type) {
      case "msg.send": {
        this.counts.sends += 1;
        if (this.origins.has(e.from)) this.counts.started += 1;
        this.inflight.push({ seq: e.seq, req: e.req, from: e.from, to: e.to, t: e.t, arrive_t: e.arrive_t ?? e.t });
        const inst = this.instances.get(e.to);
        // A reply to a worker already busy with this request is not a new arrival.
        const node = this.nodes.get(e.to);
        if (inst ? inst.up && !inst.busy.has(e.req) : node && node.kind === "database") this._waitingSet(e.to).add(e.req);
        break;
      }
      case "node.start": {
        const name = instanceName(e.node, e.instance) || e.node;
        this._waitingSet(name).delete(e.req);
        this._waitingSet(e.node).delete(e.req);
        this._instance(name, e.node).busy.add(e.req);
        break;
      }
      case "node.finish": {
        const name = instanceName(e.node, e.instance) || e.node;
        const inst = this._instance(name, e.node);
        inst.busy.delete(e.req);
        inst.processed += 1;
        break;
      }
      case "node.reject": {
        const name = instanceName(e.node, e.instance) || e.node;
        this._waitingSet(name).delete(e.req);
        this._waitingSet(e.node).delete(e.req);
        const inst = this.instances.get(name);
        if (inst) inst.rejected += 1;
        this._mark(e.t, "reject", name, "rejected");
        break;
      }
      case "lb.pick": {
        this.counts.picks += 1;
        this.picks.set(e.lb, e);
        let counts = this.pickCounts.get(e.lb);
        if (!counts) { counts = new Map(); this.pickCounts.set(e.lb, counts); }
        counts.set(e.chosen, (counts.get(e.chosen) || 0) + 1);
        this.flashes.set(e.chosen, e.t);
        const inst = this.instances.get(e.chosen);
        if (inst) inst.picked += 1;
        break;
      }
      case "timeout":
        this.counts.timeouts += 1;
        this._mark(e.t, "timeout", e.node, "timeout");
        break;
      case "aggregate.late":
        this.counts.late += 1;
        this._mark(e.t, "late", e.node, "late");
        break;
      case "aggregate.done":
        if (e.partial) this._mark(e.t, "partial", e.node, `partial ${e.received}/${e.expected}`);
        break;
      case "saga":
        this.sagas.set(e.state, (this.sagas.get(e.state) || 0) + 1);
        if (e.state === "compensating" || e.state === "failed") this._mark(e.t, "saga", e.node, e.state);
        break;
      case "fault": {
        const f = e.fault || e;
        if (f.kind === "slow") {
          for (const inst of this._targets(f)) { inst.slowUntil = f.for_ms ? e.t + f.for_ms : Infinity; inst.slowFactor = f.factor || 10; }
        }
        this._mark(e.t, "fault", f.node ? (f.instance !== undefined && f.instance !== null ? instanceName(f.node, f.instance) : f.node) : null, `${f.kind}${f.zone ? " zone " + f.zone : ""}`);
        break;
      }
      case "instance.down": {
        const inst = this._instance(String(e.instance), nodeOf(e.instance));
        inst.up = false;
        inst.downReason = e.reason || "down";
        inst.busy.clear();
        this.waiting.delete(inst.name);
        this._mark(e.t, "down", inst.name, e.reason || "down");
        break;
      }
      case "instance.up": {
        const inst = this._instance(String(e.instance), nodeOf(e.instance));
        inst.up = true;
        inst.downReason = "";
        break;
      }
      case "request.done": {
        const outcome = e.outcome || "ok";
        if (outcome === "ok") { this.counts.ok += 1; b.ok += 1; if (Number.isFinite(e.latency_ms)) b.lat.push(e.latency_ms); }
        else if (ERROR_OUTCOMES.includes(outcome)) {
          this.counts[outcome] += 1;
          b[outcome] += 1;
          this._mark(e.t, outcome, e.origin, outcome.replace("_", " "));
        }
        break;
      }
      case "metrics": {
        const nodes = e.nodes || {};
        for (const [id, m] of Object.entries(nodes)) this.metrics.set(id, m);
        break;
      }
      default:
        break;
    }
  }

  _targets(f) {
    const out = [];
    for (const inst of this.instances.values()) {
      if (f.node && inst.node !== f.node) continue;
      if (f.instance !== undefined && f.instance !== null && inst.name !== instanceName(f.node, f.instance)) continue;
      out.push(inst);
    }
    return out;
  }

  // Drop messages that have arrived by `now` (the display clock, which may run past this.t).
  prune(now, minVisible = 0) {
    const list = this.inflight;
    let w = 0;
    for (let i = 0; i < list.length; i++) {
      const m = list[i];
      if (Math.max(m.arrive_t, m.t + minVisible) > now) list[w++] = m;
    }
    list.length = w;
  }

  inFlightRequests() {
    return Math.max(0, this.counts.started - this.counts.ok - this.counts.failed - this.counts.rejected - this.counts.timed_out);
  }

  // Chart series: x in seconds, one value per closed bucket (plus the open one).
  series() {
    const xs = [], ok = [], p50 = [], p95 = [], p99 = [], failed = [], rejected = [], timedOut = [];
    const utilNodes = (this.doc.nodes || []).filter((n) => POOL_KINDS.has(n.kind) || n.kind === "database").map((n) => n.id);
    const util = utilNodes.map(() => []);
    const perSecond = 1000 / this.bucketMs;
    for (const b of this.buckets) {
      if (b === this.openBucket) continue;
      xs.push(((b.index + 1) * this.bucketMs) / 1000);
      ok.push(b.ok * perSecond);
      failed.push(b.failed * perSecond);
      rejected.push(b.rejected * perSecond);
      timedOut.push(b.timed_out * perSecond);
      p50.push(b.p50); p95.push(b.p95); p99.push(b.p99);
      utilNodes.forEach((id, i) => util[i].push(b.util ? Math.round((b.util[id] ?? 0) * 1000) / 10 : null));
    }
    return { xs, ok, p50, p95, p99, failed, rejected, timedOut, utilNodes, util };
  }
}

export function niceBucket(ms) {
  const steps = [50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 30000, 60000];
  for (const s of steps) if (s >= ms) return s;
  return 60000;
}
