// The event log: the latest events, filtered by type, node and request.

import { escapeHtml } from "./dom.js";
import { gettext, interpolate } from "./i18n.js";
import { reasonWords } from "./reasons.js";

const KEEP = 3000;
const SHOW = 200;

function involves(e, text) {
  for (const key of ["node", "from", "to", "lb", "chosen", "instance", "origin"]) {
    const v = e[key];
    if (v !== undefined && String(v).includes(text)) return true;
  }
  return false;
}

function detail(e) {
  switch (e.type) {
    case "msg.send": return interpolate(gettext("%(from)s → %(to)s, arrives %(t)s"), { from: e.from, to: e.to, t: fmt(e.arrive_t) }, true);
    case "node.start": case "node.finish": case "node.reject": return `${e.instance ?? e.node}`;
    case "lb.pick": return interpolate(gettext("%(lb)s picked %(chosen)s: %(reason)s"), { lb: e.lb, chosen: e.chosen, reason: reasonWords(e.reason) || "" }, true);
    case "request.done": return interpolate(gettext("%(origin)s: %(outcome)s in %(latency)s"), { origin: e.origin, outcome: e.outcome, latency: fmt(e.latency_ms) }, true);
    case "timeout": return interpolate(gettext("%(node)s, missing %(missing)s"), { node: e.node, missing: (e.missing || []).join(", ") }, true);
    case "aggregate.done": return `${e.node}: ${e.received}/${e.expected}${e.partial ? " " + gettext("(partial)") : ""}`;
    case "aggregate.late": return interpolate(gettext("%(node)s: late reply from %(from)s"), { node: e.node, from: e.from }, true);
    case "store.write": return interpolate(gettext("%(from)s stored the result of request %(req)s in %(node)s"), { from: e.from, req: e.req, node: e.node }, true);
    case "store.read": return interpolate(gettext("%(from)s fetched request %(req)s from %(node)s (attempt %(attempt)s): %(found)s"), { from: e.from, req: e.req, node: e.node, attempt: e.attempt, found: e.found ? gettext("found") : gettext("not there yet") }, true);
    case "saga": return interpolate(gettext("%(node)s: %(state)s, step %(step)s, attempt %(attempt)s"), { node: e.node, state: e.state, step: e.step, attempt: e.attempt }, true);
    // `instance` is the instance's name (api#1); runs stored before it was gave its index.
    case "fault": { const f = e; return `${f.kind} ${f.zone ? interpolate(gettext("zone %(zone)s"), { zone: f.zone }, true) : (f.instance !== undefined && f.instance !== null ? (typeof f.instance === "number" ? `${f.node}#${f.instance}` : f.instance) : (f.node || ""))}${f.for_ms ? " " + interpolate(gettext("for %(ms)s ms"), { ms: f.for_ms }, true) : ""}`; }
    case "instance.down": case "instance.up": return `${e.instance}: ${e.reason || ""}`;
    case "change": return interpolate(gettext("%(node)s %(field)s: %(from)s → %(to)s"), { node: e.node, field: e.field, from: e.from ?? "—", to: e.to ?? "—" }, true);
    case "metrics": return gettext("metrics snapshot");
    default: return "";
  }
}

function fmt(ms) { return ms === undefined || ms === null ? "?" : `${Number(ms).toFixed(1)} ms`; }

export class EventLog {
  constructor(root, { onPick } = {}) {
    this.root = root;
    this.body = root.querySelector("tbody");
    this.typeSelect = root.querySelector("[name=type]");
    this.nodeInput = root.querySelector("[name=node]");
    this.reqInput = root.querySelector("[name=req]");
    this.countLine = root.querySelector(".log-count");
    this.events = [];
    this.types = new Set();
    this.dirty = true;
    this.onPick = onPick || (() => {});
    for (const input of [this.typeSelect, this.nodeInput, this.reqInput]) input.addEventListener("input", () => { this.dirty = true; this.render(); });
    this.body.addEventListener("click", (ev) => {
      const row = ev.target.closest("tr[data-seq]");
      if (!row) return;
      const e = this.events.find((x) => String(x.seq) === row.dataset.seq);
      if (e && e.type === "lb.pick") this.onPick(e);
      if (e && e.req !== undefined) { this.reqInput.value = e.req; this.dirty = true; this.render(); }
    });
  }

  clear() { this.events = []; this.dirty = true; }

  push(e) {
    this.events.push(e);
    if (this.events.length > KEEP * 1.5) this.events.splice(0, this.events.length - KEEP);
    if (!this.types.has(e.type)) {
      this.types.add(e.type);
      const option = document.createElement("option");
      option.value = option.textContent = e.type;
      this.typeSelect.appendChild(option);
    }
    this.dirty = true;
  }

  render() {
    if (!this.dirty) return;
    this.dirty = false;
    const type = this.typeSelect.value, node = this.nodeInput.value.trim(), req = this.reqInput.value.trim();
    const rows = [];
    for (let i = this.events.length - 1; i >= 0 && rows.length < SHOW; i--) {
      const e = this.events[i];
      if (type && e.type !== type) continue;
      if (!type && e.type === "metrics") continue;
      if (req && String(e.req) !== req) continue;
      if (node && !involves(e, node)) continue;
      rows.push(e);
    }
    const html = rows.map((e) => `<tr data-seq="${escapeHtml(e.seq)}" class="ev-${escapeHtml(String(e.type).replace(".", "-"))}${e.outcome && e.outcome !== "ok" ? " ev-bad" : ""}"><td>${escapeHtml(e.seq)}</td><td>${(Number(e.t) / 1000).toFixed(3)}</td><td>${escapeHtml(e.type)}</td><td>${escapeHtml(e.req)}</td><td>${escapeHtml(detail(e))}</td></tr>`).join("");
    this.body.innerHTML = html;
    this.countLine.textContent = interpolate(rows.length === SHOW ? gettext("latest %(n)s shown (of the last %(total)s events)") : gettext("%(n)s shown (of the last %(total)s events)"), { n: rows.length, total: Math.min(this.events.length, KEEP * 1.5) }, true);
  }
}
