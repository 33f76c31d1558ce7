// The saga panel (one row per request: each step's state, attempts, compensations) and the
// per-request sequence diagram (one lane per node, Lamport-ordered arrows), for the run view.
// Mounted only for topologies with an orchestrator or a broker; fed every event in seq order.

import { lanes, trace } from "./tracing.js";

const SVG = "http://www.w3.org/2000/svg";
const ROWS = 40; // rows shown, newest first
const MARK = { running: "…", ok: "✓", failed: "✗", timed_out: "⏱" };
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function flatSteps(node) {
  const out = [];
  for (const step of node.steps || []) for (const s of step.parallel || [step]) out.push(s);
  return out;
}

export class SagaView {
  static mount(root, doc) {
    const nodes = doc.nodes || [];
    const orchestrators = nodes.filter((n) => n.kind === "orchestrator");
    const brokers = nodes.some((n) => n.kind === "topic" || n.kind === "queue");
    if (!root || (!orchestrators.length && !brokers)) return null;
    root.hidden = false;
    return new SagaView(root, orchestrators);
  }

  constructor(root, orchestrators) {
    this.root = root;
    this.steps = new Map(orchestrators.map((n) => [n.id, flatSteps(n)]));
    this.panel = root.querySelector("[data-saga-panel]");
    this.diagram = root.querySelector("[data-sequence]");
    this.reqInput = root.querySelector("[name=trace-req]");
    this.caption = root.querySelector("[data-sequence-caption]");
    this.panel.hidden = !orchestrators.length;
    this.chosen = null; // the request the diagram shows; null: the latest finished one
    this.clear();
    this.panel.addEventListener("click", (ev) => {
      const row = ev.target.closest("tr[data-req]");
      if (row) this.show(Number(row.dataset.req));
    });
    this.reqInput.addEventListener("change", () => this.show(this.reqInput.value === "" ? null : Number(this.reqInput.value)));
  }

  clear() { this.rows = new Map(); this.latestDone = null; this.dirty = true; }

  show(req) { this.chosen = req; this.reqInput.value = req ?? ""; this.dirty = true; this.traceKey = ""; }

  push(e) {
    if (e.type === "request.done") { this.latestDone = e.req; this.dirty = true; return; }
    if (e.type !== "saga" && e.type !== "saga.step") return;
    const steps = this.steps.get(e.node) || [];
    let row = this.rows.get(e.req);
    if (!row) {
      row = { req: e.req, node: e.node, replica: e.replica, state: "running", cells: steps.map(() => ({})) };
      this.rows.set(e.req, row);
    }
    this.rows.delete(e.req); this.rows.set(e.req, row); // most recently touched last
    row.replica = e.replica || row.replica;
    const cell = row.cells[e.step] || {};
    if (e.type === "saga") {
      if (e.state === "running") { cell.state = "running"; cell.attempts = e.attempt; }
      else if (e.state === "compensating") cell.comp = "compensating";
      else row.state = e.state;
      if (e.state === "resumed") row.resumed = true;
    } else if (steps[e.step] && e.call === steps[e.step].call && cell.comp === undefined) {
      cell.state = e.outcome; cell.attempts = e.attempt;
    } else cell.comp = e.outcome === "ok" ? "compensated" : "compensation failed";
    this.dirty = true;
  }

  render(events, now) {
    if (!this.dirty) return;
    this.dirty = false;
    if (!this.panel.hidden) this.renderPanel();
    this.renderSequence(events, now);
  }

  renderPanel() {
    const [first] = this.steps.values();
    let html = `<table class="table compact sagas"><thead><tr><th scope="col">req</th><th scope="col">replica</th>`;
    for (const s of first || []) html += `<th scope="col">${esc(s.call)}</th>`;
    html += `<th scope="col">saga</th></tr></thead><tbody>`;
    const rows = [...this.rows.values()].slice(-ROWS).reverse();
    for (const r of rows) {
      html += `<tr data-req="${r.req}" class="saga-${esc(r.state)}${r.req === this.chosen ? " chosen" : ""}"><td>${r.req}</td><td>${esc(r.replica)}</td>`;
      for (const c of r.cells) {
        const retries = c.attempts > 1 ? `<sup title="${c.attempts - 1} retries">×${c.attempts}</sup>` : "";
        const comp = c.comp ? `<span class="comp" title="${esc(c.comp)}">${c.comp === "compensated" ? "↺" : c.comp === "compensating" ? "↺…" : "↺✗"}</span>` : "";
        html += `<td class="step-${esc(c.state || "pending")}" title="${esc(c.state || "not run")}${c.comp ? `, ${esc(c.comp)}` : ""}">${MARK[c.state] || "·"}${retries}${comp}</td>`;
      }
      html += `<td>${esc(r.state)}${r.resumed ? " (resumed)" : ""}</td></tr>`;
    }
    this.panel.innerHTML = html + `</tbody></table>` + (rows.length ? "" : `<p class="muted">No saga yet.</p>`);
  }

  renderSequence(events, now) {
    const req = this.chosen ?? this.latestDone;
    if (req === null || req === undefined) { this.caption.textContent = "No request has finished yet."; this.diagram.replaceChildren(); return; }
    const upto = events.filter((e) => e.req === req && e.t <= now);
    const key = `${req}:${upto.length}`;
    if (key === this.traceKey) return;
    this.traceKey = key;
    const hops = trace(upto, req);
    this.caption.textContent = `Request ${req}: ${hops.length} messages across ${lanes(hops).length} nodes, in Lamport order.`;
    drawSequence(this.diagram, hops);
  }
}

export function drawSequence(svg, hops) {
  const names = lanes(hops);
  const gap = 110, dy = 18, top = 30;
  const last = Math.max(0, ...hops.map((h) => h.recv_clock || 0));
  const width = 60 + gap * Math.max(1, names.length - 1) + 60, height = top + dy * (last + 1) + 10;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  const x = (n) => 60 + gap * names.indexOf(n);
  const y = (c) => top + dy * c;
  const parts = [`<defs><marker id="seq-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="currentColor"/></marker></defs>`];
  for (const n of names) {
    parts.push(`<text x="${x(n)}" y="14" text-anchor="middle" class="seq-lane">${esc(n)}</text>`);
    parts.push(`<line x1="${x(n)}" y1="20" x2="${x(n)}" y2="${height - 4}" class="seq-life"/>`);
  }
  for (const h of hops) {
    const x1 = x(h.from_node), x2 = x(h.to_node), y1 = y(h.send_clock), y2 = y(h.recv_clock);
    const title = `${h.from} → ${h.to} at ${(h.t / 1000).toFixed(3)} s (${h.kind})`;
    parts.push(`<g class="seq-hop seq-${h.kind}" data-seq="${h.seq}"><title>${esc(title)}</title><line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" marker-end="url(#seq-arrow)"/></g>`);
  }
  svg.innerHTML = parts.join("");
}
