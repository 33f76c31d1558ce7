// The saga panel (one row per request: each step's state, attempts, compensations), or for
// choreography the flow table stitched from the request id of every event, and the
// per-request trace: a sequence diagram (one lane per node, Lamport-ordered, numbered arrows)
// and the same hops as a numbered list. Mounted only for topologies with an orchestrator or a
// broker; fed every event in seq order.

import { lanes, trace } from "./tracing.js";
import { escapeHtml as esc } from "./dom.js";
import { gettext, ngettext, interpolate, word } from "./i18n.js";
import { BROKER_KINDS as BROKERS, STAGE_KINDS as STAGES } from "./layout.js";

const ROWS = 40; // rows shown, newest first
const MARK = { running: "…", ok: "✓", failed: "✗", timed_out: "⏱" };

const EXPLAIN = {
  orchestration:
    gettext("<strong>Orchestration:</strong> each row is one saga as the orchestrator keeps it (and writes it to its store): " +
    "it alone knows which step every request is at, so one row tells the whole story. " +
    "In the request's sequence diagram every arrow starts or ends at the orchestrator: a star."),
  choreography:
    gettext("<strong>Choreography:</strong> no service knows where a request is. Each one reacts to a topic and publishes the next, " +
    "so the state of the flow is spread over the brokers. The table below is <em>not</em> kept by anyone: it is stitched " +
    "together from the request id that every message carries (its trace), the way a distributed tracer does it. " +
    "An orchestrated saga keeps the same thing in one row of its store. Click a request to follow it hop by hop."),
  brokers:
    gettext("<strong>Through brokers:</strong> each stage sees only the messages it receives. The table below is stitched together " +
    "from the request id that every message carries (its trace). Click a request to follow it hop by hop."),
};

function flatSteps(node) {
  const out = [];
  for (const step of node.steps || []) for (const s of step.parallel || [step]) out.push(s);
  return out;
}

export class SagaView {
  static mount(root, doc) {
    const nodes = doc.nodes || [];
    const orchestrators = nodes.filter((n) => n.kind === "orchestrator");
    const brokers = nodes.some((n) => BROKERS.has(n.kind));
    if (!root || (!orchestrators.length && !brokers)) return null;
    root.hidden = false;
    return new SagaView(root, doc, orchestrators);
  }

  constructor(root, doc, orchestrators) {
    this.root = root;
    this.mode = orchestrators.length ? "orchestration" : "choreography";
    this.kinds = new Map((doc.nodes || []).map((n) => [n.id, n.kind]));
    this.edges = new Map((doc.edges || []).map((e) => [`${e.from}\u0000${e.to}`, e]));
    this.stages = (doc.nodes || []).filter((n) => STAGES.has(n.kind)).map((n) => n.id);
    this.steps = new Map(orchestrators.map((n) => [n.id, flatSteps(n)]));
    this.panel = root.querySelector("[data-saga-panel]");
    this.diagram = root.querySelector("[data-sequence]");
    this.hopList = root.querySelector("[data-hops]");
    this.reqInput = root.querySelector("[name=trace-req]");
    this.caption = root.querySelector("[data-sequence-caption]");
    root.querySelector("[data-saga-title]").textContent = this.mode === "orchestration" ? gettext("Sagas") : gettext("Requests, stitched from their traces");
    // Pipes and scatter-gather use brokers too, without being a choreographed flow.
    const explain = this.mode === "choreography" && doc.pattern !== "choreography" ? "brokers" : this.mode;
    root.querySelector("[data-saga-explain]").innerHTML = EXPLAIN[explain];
    root.dataset.mode = this.mode;
    this.chosen = null; // the request the diagram shows; null: the latest finished one
    this.clear();
    this.panel.addEventListener("click", (ev) => {
      const row = ev.target.closest("tr[data-req]");
      if (row) this.show(Number(row.dataset.req));
    });
    this.reqInput.addEventListener("change", () => this.show(this.reqInput.value === "" ? null : Number(this.reqInput.value)));
  }

  clear() { this.rows = new Map(); this.latestDone = null; this.dirty = true; this.traceKey = ""; }

  show(req) { this.chosen = req; this.reqInput.value = req ?? ""; this.dirty = true; this.traceKey = ""; }

  // How a hop is read in the list: the verb of the message, from the kinds at its ends.
  verb(h) {
    const edge = this.edges.get(`${h.from_node}\u0000${h.to_node}`);
    if (h.kind === "reply") return gettext("replies");
    if (edge?.when === "error") return gettext("fails: sends it down its error edge (compensation)");
    if (BROKERS.has(this.kinds.get(h.to_node))) return gettext("publishes");
    if (BROKERS.has(this.kinds.get(h.from_node))) return gettext("delivers");
    // An orchestrator's store writes need no edge of their own.
    if (edge?.op === "write" || (this.kinds.get(h.from_node) === "orchestrator" && this.kinds.get(h.to_node) === "database")) return gettext("writes");
    return gettext("calls");
  }

  push(e) {
    if (e.type === "request.done") {
      this.latestDone = e.req; this.dirty = true;
      const row = this.rows.get(e.req);
      if (row && this.mode === "choreography") row.state = e.outcome !== "ok" ? e.outcome : row.comp ? "compensated" : "completed";
      return;
    }
    if (this.mode === "choreography") { this.pushFlow(e); return; }
    if (e.type !== "saga" && e.type !== "saga.step") return;
    const steps = this.steps.get(e.node) || [];
    const row = this.touch(e.req, () => ({ node: e.node, replica: e.replica, cells: steps.map(() => ({})) }));
    row.replica = e.replica || row.replica;
    const cell = row.cells[e.step] || {};
    if (e.type === "saga") {
      if (e.state === "running") { cell.state = "running"; cell.attempts = e.attempt; }
      else if (e.state === "compensating") cell.comp = "compensating";
      else if (e.state === "resumed") row.resumed = true; // it goes on running: not an end state
      else row.state = e.state;
    } else if (steps[e.step] && e.call === steps[e.step].call && cell.comp === undefined) {
      cell.state = e.outcome; cell.attempts = e.attempt;
    } else cell.comp = e.outcome === "ok" ? "compensated" : "compensation failed";
    this.dirty = true;
  }

  touch(req, make) {
    let row = this.rows.get(req);
    if (!row) row = { req, state: "running", ...make() };
    this.rows.delete(req); this.rows.set(req, row); // most recently touched last
    return row;
  }

  // Choreography: a row per request from the events that carry its id; nobody in the system holds it.
  pushFlow(e) {
    if (e.req === undefined || e.req === null) return;
    if (e.type === "msg.send") {
      const row = this.touch(e.req, () => ({ cells: {}, hops: 0 }));
      row.hops += 1;
      if (this.edges.get(`${e.from.split("#")[0]}\u0000${e.to.split("#")[0]}`)?.when === "error") row.comp = true;
      this.dirty = true;
      return;
    }
    if (!["node.start", "node.finish", "node.fail"].includes(e.type) || !this.stages.includes(e.node)) return;
    const row = this.touch(e.req, () => ({ cells: {}, hops: 0 }));
    const was = row.cells[e.node];
    if (e.type === "node.start") row.cells[e.node] = "running";
    else if (e.type === "node.fail") row.cells[e.node] = "failed";
    else if (was !== "failed") row.cells[e.node] = "ok";
    this.dirty = true;
  }

  render(events, now) {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.mode === "orchestration") this.renderSagas(); else this.renderFlows();
    this.renderSequence(events, now);
  }

  renderSagas() {
    const [first] = this.steps.values();
    let html = `<table class="table compact sagas"><thead><tr><th scope="col">${gettext("req")}</th><th scope="col">${gettext("replica")}</th>`;
    for (const s of first || []) html += `<th scope="col">${esc(s.call)}</th>`;
    html += `<th scope="col">${gettext("saga")}</th></tr></thead><tbody>`;
    const rows = [...this.rows.values()].slice(-ROWS).reverse();
    for (const r of rows) {
      html += `<tr data-req="${esc(r.req)}" class="saga-${esc(r.state)}${r.req === this.chosen ? " chosen" : ""}"><td>${esc(r.req)}</td><td>${esc(r.replica)}</td>`;
      for (const c of r.cells) {
        const retries = c.attempts > 1 ? `<sup title="${esc(interpolate(ngettext("%(n)s retry", "%(n)s retries", c.attempts - 1), { n: c.attempts - 1 }, true))}">×${esc(c.attempts)}</sup>` : "";
        const comp = c.comp ? `<span class="comp" title="${esc(word(c.comp))}">${c.comp === "compensated" ? "↺" : c.comp === "compensating" ? "↺…" : "↺✗"}</span>` : "";
        html += `<td class="step-${esc(c.state || "pending")}" title="${esc(c.state ? word(c.state) : gettext("not run"))}${c.comp ? `, ${esc(word(c.comp))}` : ""}">${MARK[c.state] || "·"}${retries}${comp}</td>`;
      }
      html += `<td>${esc(r.state)}${r.resumed ? " (resumed)" : ""}</td></tr>`;
    }
    this.panel.innerHTML = html + `</tbody></table>` + (rows.length ? "" : `<p class="muted">${gettext("No saga yet.")}</p>`);
  }

  renderFlows() {
    let html = `<table class="table compact sagas flows"><thead><tr><th scope="col">${gettext("req")}</th>`;
    for (const id of this.stages) html += `<th scope="col">${esc(id)}</th>`;
    html += `<th scope="col">${gettext("messages")}</th><th scope="col">${gettext("flow")}</th></tr></thead><tbody>`;
    const rows = [...this.rows.values()].filter((r) => Object.keys(r.cells).length).slice(-ROWS).reverse();
    for (const r of rows) {
      const state = r.state === "running" && r.comp ? "compensating" : r.state;
      html += `<tr data-req="${esc(r.req)}" class="flow-${esc(state)}${r.req === this.chosen ? " chosen" : ""}"><td>${esc(r.req)}</td>`;
      for (const id of this.stages) {
        const c = r.cells[id];
        html += `<td class="step-${esc(c || "pending")}" title="${esc(c ? word(c) : gettext("not reached"))}">${MARK[c] || "·"}</td>`;
      }
      html += `<td>${esc(r.hops)}</td><td>${esc(state === "running" ? gettext("in flight") : word(state))}</td></tr>`;
    }
    this.panel.innerHTML = html + `</tbody></table>` + (rows.length ? "" : `<p class="muted">${gettext("No request yet.")}</p>`);
  }

  renderSequence(events, now) {
    const req = this.chosen ?? this.latestDone;
    if (req === null || req === undefined) {
      this.caption.textContent = gettext("No request has finished yet.");
      this.diagram.replaceChildren(); this.hopList.replaceChildren();
      return;
    }
    const upto = events.filter((e) => e.req === req && e.t <= now);
    const key = `${req}:${upto.length}`;
    if (key === this.traceKey) return;
    this.traceKey = key;
    const hops = trace(upto, req);
    this.caption.textContent = `${interpolate(gettext("Request %(req)s: %(hops)s messages across %(nodes)s nodes, in Lamport order."), { req, hops: hops.length, nodes: lanes(hops).length }, true)} ${this.shape(hops)}`;
    drawSequence(this.diagram, hops, { kinds: this.kinds, edges: this.edges, width: this.diagram.parentElement?.clientWidth });
    this.hopList.innerHTML = hops.map((h) =>
      `<li class="hop-${esc(h.kind)}${this.edges.get(`${h.from_node}\u0000${h.to_node}`)?.when === "error" ? " hop-error" : ""}" data-seq="${esc(h.seq)}">` +
      `<span class="hop-t">${(h.t / 1000).toFixed(3)} s</span> <b>${esc(h.from)}</b> ${esc(this.verb(h))} → <b>${esc(h.to)}</b></li>`).join("");
  }

  // The contrast in one sentence: a star around the orchestrator, or a chain through topics.
  shape(hops) {
    if (!hops.length) return "";
    const touches = new Map();
    for (const h of hops) for (const n of new Set([h.from_node, h.to_node])) touches.set(n, (touches.get(n) || 0) + 1);
    const [busiest, most] = [...touches].sort((a, b) => b[1] - a[1])[0];
    if (this.mode === "orchestration") return interpolate(gettext("%(node)s is at one end of %(most)s of the %(hops)s arrows: a star around the coordinator."), { node: busiest, most, hops: hops.length }, true);
    const topics = lanes(hops).filter((n) => BROKERS.has(this.kinds.get(n))).length;
    return interpolate(gettext("A chain through %(topics)s topics: no node sees more than %(most)s of the %(hops)s arrows, so only the trace shows the whole path."), { topics, most, hops: hops.length }, true);
  }
}

const FONT = 14; // px: readable on a projector at 1280×720

export function drawSequence(svg, hops, { kinds = new Map(), edges = new Map(), width = 0 } = {}) {
  const names = lanes(hops);
  const dy = 26;
  const longest = Math.max(0, ...names.map((n) => n.length)) * FONT * 0.62;
  const side = Math.max(60, longest / 2 + 10); // the outer labels stay inside the box
  // Fit the lanes to the box when there is room; never closer than a label can bear.
  const fit = names.length > 1 ? (Math.max(width || 0, 600) - 2 * side - 2) / (names.length - 1) : 0;
  const gap = Math.max(86, Math.min(170, fit));
  const stagger = longest > gap - 8; // labels would touch: put every other one on a second line
  const top = stagger ? 66 : 46;
  // One row per message, in Lamport order (send clock, then seq): the arrow slants down
  // to its receipt, so time still runs downwards but a long trace fits on one screen.
  const order = hops.map((h, i) => [h, i]).sort((a, b) => a[0].send_clock - b[0].send_clock || a[0].seq - b[0].seq);
  const w = 2 * side + gap * Math.max(1, names.length - 1), height = top + dy * hops.length + 10;
  svg.setAttribute("viewBox", `0 0 ${w} ${height}`);
  svg.setAttribute("width", w);
  svg.setAttribute("height", height);
  const x = (n) => side + gap * names.indexOf(n);
  const parts = [`<defs>${["call", "reply", "error"].map((k) => `<marker id="seq-arrow-${k}" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L8,4 L0,8 z" class="seq-head-${k}"/></marker>`).join("")}</defs>`];
  names.forEach((n, i) => {
    const broker = BROKERS.has(kinds.get(n)) ? " seq-broker" : "";
    const ly = stagger && i % 2 ? 38 : 18;
    parts.push(`<text x="${x(n)}" y="${ly}" text-anchor="middle" class="seq-lane${broker}">${esc(n)}</text>`);
    parts.push(`<line x1="${x(n)}" y1="${ly + 6}" x2="${x(n)}" y2="${height - 4}" class="seq-life${broker}"/>`);
  });
  order.forEach(([h, i], row) => {
    const error = edges.get(`${h.from_node}\u0000${h.to_node}`)?.when === "error";
    const k = error ? "error" : h.kind;
    const x1 = x(h.from_node), x2 = x(h.to_node), y1 = top + dy * row, y2 = y1 + dy * 0.55;
    const self = x1 === x2 ? 18 : 0; // a node calling its own lane: a small loop out and back
    const title = `${i + 1}. ` + interpolate(gettext("%(from)s → %(to)s at %(t)s s (%(kind)s; Lamport %(send)s → %(recv)s)"), { from: h.from, to: h.to, t: (h.t / 1000).toFixed(3), kind: error ? gettext("error edge") : word(h.kind), send: h.send_clock, recv: h.recv_clock }, true);
    const path = self ? `M${x1},${y1} h${self} V${y2} h${-self}` : `M${x1},${y1} L${x2},${y2}`;
    const lx = (x1 + x2) / 2 + self, ly = (y1 + y2) / 2 - 5;
    parts.push(`<g class="seq-hop seq-${esc(k)}" data-seq="${esc(h.seq)}"><title>${esc(title)}</title><path d="${path}" marker-end="url(#seq-arrow-${esc(k)})"/><text x="${lx}" y="${ly}" text-anchor="middle" class="seq-num">${i + 1}</text></g>`);
  });
  svg.innerHTML = parts.join("");
}
