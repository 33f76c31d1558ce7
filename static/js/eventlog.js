// The event log: the latest events, filtered by type, node and request.

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
    case "msg.send": return `${e.from} → ${e.to}, arrives ${fmt(e.arrive_t)}`;
    case "node.start": case "node.finish": case "node.reject": return `${e.instance ?? e.node}`;
    case "lb.pick": return `${e.lb} picked ${e.chosen}: ${e.reason || ""}`;
    case "request.done": return `${e.origin}: ${e.outcome} in ${fmt(e.latency_ms)}`;
    case "timeout": return `${e.node}, missing ${(e.missing || []).join(", ")}`;
    case "aggregate.done": return `${e.node}: ${e.received}/${e.expected}${e.partial ? " (partial)" : ""}`;
    case "aggregate.late": return `${e.node}: late reply from ${e.from}`;
    case "store.write": return `${e.from} stored request ${e.req}'s result in ${e.node}`;
    case "store.read": return `${e.from} fetched request ${e.req} from ${e.node} (attempt ${e.attempt}): ${e.found ? "found" : "not there yet"}`;
    case "saga": return `${e.node}: ${e.state}, step ${e.step}, attempt ${e.attempt}`;
    case "fault": { const f = e.fault || e; return `${f.kind} ${f.zone ? "zone " + f.zone : (f.node || "") + (f.instance !== undefined && f.instance !== null ? "#" + f.instance : "")}${f.for_ms ? " for " + f.for_ms + " ms" : ""}`; }
    case "instance.down": case "instance.up": return `${e.instance}: ${e.reason || ""}`;
    case "metrics": return "metrics snapshot";
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
    const html = rows.map((e) => `<tr data-seq="${e.seq}" class="ev-${e.type.replace(".", "-")}${e.outcome && e.outcome !== "ok" ? " ev-bad" : ""}"><td>${e.seq}</td><td>${(e.t / 1000).toFixed(3)}</td><td>${e.type}</td><td>${e.req ?? ""}</td><td>${escapeHtml(detail(e))}</td></tr>`).join("");
    this.body.innerHTML = html;
    this.countLine.textContent = `${rows.length === SHOW ? "latest " : ""}${rows.length} shown (of the last ${Math.min(this.events.length, KEEP * 1.5)} events)`;
  }
}

export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
