// The state of a run at simulated time t, folded from its events in seq order.
// Deterministic: the same events up to T give the same state, live or replayed.

import { gettext, interpolate, word } from "./i18n.js";
import { instanceCount, POOL_KINDS } from "./layout.js";

const ERROR_OUTCOMES = ["failed", "rejected", "timed_out"];
// An instance.down that only stops an instance nobody needs (not a failure): a function
// instance idle too long (patterns/nodes/function.py) or an instance drained by the
// autoscaler or a resize (Service.idle in patterns/nodes/service.py, "…: drained").
const STOPPED = /^idle\b|: drained$/;

// The attempts an instance works on now, by request. A multiset, not a set: a retry can
// reach the worker still busy with the first attempt of the same request (the caller gave
// up on it, the worker did not), and each attempt holds a slot until it ends.
class Attempts {
  constructor() { this.counts = new Map(); this.size = 0; }
  has(req) { return this.counts.has(req); }
  add(req) { this.counts.set(req, (this.counts.get(req) || 0) + 1); this.size += 1; }
  delete(req) {
    const n = this.counts.get(req);
    if (!n) return;
    if (n === 1) this.counts.delete(req); else this.counts.set(req, n - 1);
    this.size -= 1;
  }
  clear() { this.counts.clear(); this.size = 0; }
}

export function isStop(reason) {
  return STOPPED.test(String(reason || ""));
}

// Why an instance went down or stopped, in the page's language: the engine's reasons
// (patterns/faults.py, patterns/nodes/service.py and function.py, patterns/scaling.py) are
// English; one it does not know yet stays as the engine wrote it.
const REASONS = {
  crash: gettext("crash"),
  down: gettext("down"),
  autoscale: gettext("autoscale"),
  "scaled by hand": gettext("scaled by hand"),
  slow: gettext("slow"), // a fault's kind (patterns/faults.py)
};
export function reasonText(reason) {
  const text = String(reason || "");
  if (Object.hasOwn(REASONS, text)) return REASONS[text];
  let m = /^(.*): drained$/.exec(text);
  if (m) return interpolate(gettext("%(reason)s: drained"), { reason: reasonText(m[1]) }, true);
  m = /^zone (.+) down$/.exec(text);
  if (m) return interpolate(gettext("zone %(zone)s down"), { zone: m[1] }, true);
  m = /^idle for (.+) ms$/.exec(text);
  if (m) return interpolate(gettext("idle for %(ms)s ms"), { ms: m[1] }, true);
  return text;
}

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
    // started: requests opened by a client or source (its first message; a client's later
    // fetches of the same request are not new ones); node_failed: node.fail events, one per
    // failed attempt at a node, as the summary's per-node "failed" counts them.
    this.counts = { started: 0, ok: 0, failed: 0, rejected: 0, timed_out: 0, picks: 0, late: 0, timeouts: 0, sends: 0, node_failed: 0 };
    this.opened = new Set();
    this.instances = new Map();
    for (const node of this.doc.nodes || []) {
      // Slots past the pool's first size (an autoscaler's or a function's ceiling) are
      // stopped until an instance.up starts them (Service.initial_instances, Function's).
      const first = initialInstances(node);
      for (let i = 0; i < instanceCount(node); i++) {
        const inst = this._instance(`${node.id}#${i}`, node.id, i < first);
        inst.stopped = i >= first;
      }
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
      // up: able to serve; stopped: not running and not failed either (never started, idle,
      // drained), as against down after a crash.
      inst = { name, node, busy: new Attempts(), up, stopped: false, slowUntil: -1, slowFactor: 1, processed: 0, failed: 0, rejected: 0, picked: 0, downReason: "" };
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

  // After a seek: the buckets behind the open one that hold latencies but no percentiles yet
  // get them (folding many events at once can leave a bucket behind without closing it).
  closePastBuckets() {
    for (const b of this.buckets) {
      if (b !== this.openBucket && b.p50 === null && b.lat.length) this._close(b);
    }
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
      if (!POOL_KINDS.has(node.kind) && node.kind !== "database") continue; // a database: one pool of connections
      const m = this.metrics.get(node.id);
      const u = m && m.utilization;
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
        if (this.origins.has(e.from) && !this.opened.has(e.req)) { this.opened.add(e.req); this.counts.started += 1; }
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
      case "node.fail": {
        // The attempt ends here: the worker is free (no node.finish follows for it).
        const name = instanceName(e.node, e.instance) || e.node;
        this._waitingSet(name).delete(e.req);
        this._waitingSet(e.node).delete(e.req);
        const inst = this.instances.get(name);
        if (inst) { inst.busy.delete(e.req); inst.failed += 1; }
        this.counts.node_failed += 1;
        // Shown where it happened, counted per node ("✕ failed ×3"): a choreographed flow's
        // failure ends there, with no request.done marked at the client to point at it.
        this._mark(e.t, "failed", e.node, word("failed"));
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
        if (e.partial) this._mark(e.t, "partial", e.node, interpolate(gettext("partial %(received)s/%(expected)s"), { received: e.received, expected: e.expected }, true));
        break;
      case "saga":
        this.sagas.set(e.state, (this.sagas.get(e.state) || 0) + 1);
        if (e.state === "compensating" || e.state === "failed") this._mark(e.t, "saga", e.node, word(e.state));
        break;
      case "fault": {
        const f = e; // the fault's own fields, spread into the event (docs/events.md)
        if (f.kind === "slow") {
          for (const inst of this._targets(f)) { inst.slowUntil = f.for_ms ? e.t + f.for_ms : Infinity; inst.slowFactor = f.factor || 10; }
        }
        this._mark(e.t, "fault", f.node ? (f.instance !== undefined && f.instance !== null ? instanceName(f.node, f.instance) : f.node) : null, f.zone ? reasonText(`zone ${f.zone} down`) : reasonText(f.kind));
        break;
      }
      case "instance.down": {
        const inst = this._instance(String(e.instance), nodeOf(e.instance));
        inst.up = false;
        inst.stopped = isStop(e.reason);
        inst.downReason = e.reason || "down";
        inst.busy.clear();
        this.waiting.delete(inst.name);
        this._mark(e.t, inst.stopped ? "stop" : "down", inst.name, reasonText(e.reason || "down"));
        break;
      }
      case "instance.up": {
        const inst = this._instance(String(e.instance), nodeOf(e.instance));
        inst.up = true;
        inst.stopped = false;
        inst.downReason = "";
        break;
      }
      case "autoscale":
      case "scale":
        this._mark(e.t, "scale", e.node, interpolate(e.type === "autoscale" ? gettext("autoscale %(from)s → %(to)s") : gettext("scaled %(from)s → %(to)s"), { from: e.from, to: e.to }, true));
        break;
      case "change": // a field set from the fork's moment on (patterns/forking.py)
        this._mark(e.t, "scale", e.node, interpolate(gettext("%(field)s %(from)s → %(to)s"), { field: e.field, from: e.from ?? "—", to: e.to ?? "—" }, true));
        break;
      case "request.done": {
        const outcome = e.outcome || "ok";
        if (outcome === "ok") { this.counts.ok += 1; b.ok += 1; if (Number.isFinite(e.latency_ms)) b.lat.push(e.latency_ms); }
        else if (ERROR_OUTCOMES.includes(outcome)) {
          this.counts[outcome] += 1;
          b[outcome] += 1;
          this._mark(e.t, outcome, e.origin, word(outcome));
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

  // Messages the simulation has sent and not yet delivered at `now`; the stage keeps more
  // dots than these (short hops are drawn longer, replays keep some for visibility).
  inTransit(now = this.t) {
    let n = 0;
    for (const m of this.inflight) if (m.t <= now && m.arrive_t > now) n++;
    return n;
  }

  // Requests opened and not yet done: the engine's `requests.in_flight` at this moment.
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

// How many instances a pool starts with (the engine's initial_instances).
export function initialInstances(node) {
  if (node.kind === "function") return Math.max(0, node.instances ?? 0);
  if (POOL_KINDS.has(node.kind)) return Math.max(1, node.instances ?? 1);
  return instanceCount(node);
}

export function niceBucket(ms) {
  const steps = [50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 30000, 60000];
  for (const s of steps) if (s >= ms) return s;
  return 60000;
}
