// The pipeline panel of the run view: per stage throughput, backlog (with its trend), instances,
// utilisation and cost per hour, the bottleneck marked in words and on the canvas, broker depths,
// duplicates at sinks and dead-lettered messages; the owner resizes a stage live (the `scale`
// control) and watches its backlog drain. Mounted for topologies with pipes or brokers; fed every
// event in seq order, so a replay rebuilt from the first event shows the same table.

import { escapeHtml as esc } from "./dom.js";
import { gettext, interpolate } from "./i18n.js";
import { BROKER_KINDS as BROKERS, PIPE_KINDS, SCALABLE_KINDS as SCALABLE, STAGE_KINDS } from "./layout.js";
const SVG = "http://www.w3.org/2000/svg";
const TREND_POINTS = 60; // metrics ticks kept for each stage's sparkline
// The engine names the busiest growing stage at every one-second tick; two close stages trade
// places from tick to tick and the flag flickered. It moves only once a stage (or nobody) has
// led this many ticks in a row: steady, and still follows a real shift such as after scaling.
export const STEADY_TICKS = 3;
const money = (v) => `$${Number(v || 0).toFixed(2)}`;

function svgEl(name, attrs = {}, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

export class StageView {
  // null unless the topology has a pipe or a broker.
  static mount(root, doc, options = {}) {
    const nodes = doc.nodes || [];
    if (!root || !nodes.some((n) => PIPE_KINDS.has(n.kind) || BROKERS.has(n.kind))) return null;
    root.hidden = false;
    return new StageView(root, doc, options);
  }

  constructor(root, doc, { stage, owner = false, send = () => false, isLive = () => false, maxInstances = 50 } = {}) {
    this.root = root;
    this.doc = doc;
    this.stage = stage; // player.js's Stage: the canvas badges hang off its node groups
    this.owner = owner;
    this.send = send;
    this.isLive = isLive;
    this.maxInstances = maxInstances;
    const nodes = doc.nodes || [];
    this.stages = nodes.filter((n) => STAGE_KINDS.has(n.kind));
    this.brokers = nodes.filter((n) => BROKERS.has(n.kind));
    this.sinks = nodes.filter((n) => n.kind === "sink");
    this.specs = new Map(nodes.map((n) => [n.id, n]));
    this.pending = new Map(); // node -> size asked for and not yet seen in a scale event
    this.cells = new Map(); // "node|field" -> element, written only when its text changes
    this.build();
    this.clear();
    root.addEventListener("click", (ev) => this.onClick(ev));
    root.addEventListener("change", (ev) => this.onChange(ev));
  }

  clear() {
    this.metrics = new Map(); // node -> its last metrics entry
    this.rate = new Map(); // node -> completions per simulated second over the last interval
    this.trend = new Map(); // stage -> recent backlogs
    this.received = new Map(); // sink -> items received (duplicates not included)
    this.duplicates = new Map(); // sink -> copies received again after a redelivery
    this.dead = new Map(); // broker -> messages dead-lettered
    this.redelivered = new Map(); // broker -> deliveries made again
    this.sized = new Map(); // node -> instances after its last scale event
    this.lastMetricsT = null;
    this.bottleneck = null; // the stage shown as the bottleneck
    this.leader = null; // the stage the engine named at the last tick, and for how many ticks
    this.leaderTicks = 0;
    this.dirty = true;
  }

  // Fed each metrics tick, in order, so a replay rebuilt from the first event agrees with live.
  steady(nodes) {
    const named = Object.entries(nodes || {}).find(([id, m]) => m.bottleneck && this.specs.has(id));
    const leader = named ? named[0] : null;
    if (leader === this.leader) this.leaderTicks += 1;
    else { this.leader = leader; this.leaderTicks = 1; }
    if (this.leaderTicks >= STEADY_TICKS) this.bottleneck = leader;
  }

  push(e) {
    switch (e.type) {
      case "metrics": {
        const interval = this.lastMetricsT === null ? e.t : e.t - this.lastMetricsT;
        this.lastMetricsT = e.t;
        for (const [id, m] of Object.entries(e.nodes || {})) {
          if (!this.specs.has(id)) continue;
          this.metrics.set(id, m);
          if (interval > 0) this.rate.set(id, (m.completed || 0) / (interval / 1000));
          if (m.backlog !== undefined) {
            const list = this.trend.get(id) || [];
            list.push(m.backlog);
            if (list.length > TREND_POINTS) list.shift();
            this.trend.set(id, list);
          }
          if (this.specs.get(id).kind === "sink") this.received.set(id, (this.received.get(id) || 0) + (m.completed || 0));
          this.sized.delete(id); // the metrics now say how many serve
        }
        this.steady(e.nodes);
        this.dirty = true;
        break;
      }
      case "item.duplicate":
        this.duplicates.set(e.node, (this.duplicates.get(e.node) || 0) + 1);
        this.dirty = true;
        break;
      case "broker.dead":
        this.dead.set(e.node, (this.dead.get(e.node) || 0) + 1);
        this.dirty = true;
        break;
      case "broker.redeliver":
        this.redelivered.set(e.node, (this.redelivered.get(e.node) || 0) + 1);
        this.dirty = true;
        break;
      case "scale":
        this.sized.set(e.node, e.to);
        if (this.pending.get(e.node) === e.to) this.pending.delete(e.node);
        this.dirty = true;
        break;
      default:
        break;
    }
  }

  // ---- the table: built once, then only its cells' text changes (the size inputs keep focus)
  build() {
    const controls = this.owner;
    let html = `<table class="table compact stages"><thead><tr><th scope="col">${gettext("stage")}</th><th scope="col">${gettext("resource")}</th>`
      + `<th scope="col">${gettext("instances")}</th><th scope="col">${gettext("throughput")}</th><th scope="col">${gettext("backlog")}</th><th scope="col">${gettext("trend")}</th>`
      + `<th scope="col">${gettext("busy")}</th><th scope="col">${gettext("cost / h")}</th><th scope="col"><span class="sr-only">${gettext("status")}</span></th></tr></thead><tbody>`;
    for (const n of this.stages) {
      const scalable = controls && SCALABLE.has(n.kind);
      html += `<tr data-stage="${esc(n.id)}"><th scope="row">${esc(n.label || n.id)}</th><td>${esc(n.resource || "cpu")}</td>`
        + `<td class="size">${scalable ? `<span class="scale-controls owner-live" role="group" aria-label="${esc(interpolate(gettext("Scale %(node)s"), { node: n.id }, true))}">`
          + `<button type="button" data-scale-step="-1" data-node="${esc(n.id)}" aria-label="${esc(interpolate(gettext("One instance fewer for %(node)s"), { node: n.id }, true))}">−</button>`
          + `<input type="number" min="1" max="${this.maxInstances}" step="1" data-scale-input="${esc(n.id)}" aria-label="${esc(interpolate(gettext("Instances of %(node)s"), { node: n.id }, true))}">`
          + `<button type="button" data-scale-step="1" data-node="${esc(n.id)}" aria-label="${esc(interpolate(gettext("One instance more for %(node)s"), { node: n.id }, true))}">+</button></span>` : ""}`
        + `<span data-cell="instances"></span> <span class="muted" data-cell="pending"></span></td>`
        + `<td class="num"><span data-cell="rate"></span></td><td class="num"><strong data-cell="backlog" data-backlog="0">0</strong></td>`
        + `<td><svg class="trend" width="90" height="20" viewBox="0 0 90 20" aria-hidden="true"><polyline data-cell="trend"></polyline></svg></td>`
        + `<td class="num" data-cell="util"></td><td class="num" data-cell="cost"></td><td data-cell="flag"></td></tr>`;
    }
    html += `</tbody><tfoot><tr><th scope="row">${gettext("all stages")}</th><td></td><td></td><td></td><td></td><td></td><td></td><td class="num" data-total-cost></td><td></td></tr></tfoot></table>`;
    if (this.brokers.length) {
      html += `<table class="table compact brokers"><thead><tr><th scope="col">${gettext("broker")}</th><th scope="col">${gettext("depth")}</th>`
        + `<th scope="col">${gettext("redelivered")}</th><th scope="col">${gettext("dead-lettered")}</th></tr></thead><tbody>`;
      for (const n of this.brokers) {
        html += `<tr data-broker="${esc(n.id)}"><th scope="row">${esc(n.label || n.id)} <span class="muted">${esc(n.kind)}</span></th>`
          + `<td class="num" data-cell="depth"></td><td class="num" data-cell="redelivered"></td><td class="num" data-cell="dead"></td></tr>`;
      }
      html += `</tbody></table>`;
    }
    if (this.sinks.length) {
      html += `<table class="table compact sinks"><thead><tr><th scope="col">${gettext("sink")}</th><th scope="col">${gettext("received")}</th><th scope="col">${gettext("duplicates")}</th></tr></thead><tbody>`;
      for (const n of this.sinks) {
        html += `<tr data-sink="${esc(n.id)}"><th scope="row">${esc(n.label || n.id)}</th><td class="num" data-cell="received"></td><td class="num" data-cell="duplicates"></td></tr>`;
      }
      html += `</tbody></table>`;
    }
    this.root.querySelector("[data-stage-table]").innerHTML = html;
    for (const cell of this.root.querySelectorAll("[data-cell]")) {
      const row = cell.closest("tr");
      const id = row.dataset.stage || row.dataset.broker || row.dataset.sink;
      this.cells.set(`${id}|${cell.dataset.cell}`, cell);
    }
  }

  setText(id, field, text) {
    const cell = this.cells.get(`${id}|${field}`);
    if (cell && cell.textContent !== text) cell.textContent = text;
    return cell;
  }

  instancesOf(n) {
    if (this.sized.has(n.id)) return this.sized.get(n.id);
    const m = this.metrics.get(n.id);
    return m ? (m.instances ?? m.instances_up ?? n.instances ?? 1) : (n.instances ?? 1);
  }

  render() {
    const live = this.owner && this.isLive();
    this.root.classList.toggle("can-scale", live);
    for (const box of this.root.querySelectorAll(".scale-controls")) box.hidden = !live;
    if (!this.dirty) return;
    this.dirty = false;
    let totalCost = 0;
    for (const n of this.stages) {
      const m = this.metrics.get(n.id) || {};
      const size = this.instancesOf(n);
      const row = this.root.querySelector(`tr[data-stage="${CSS.escape(n.id)}"]`);
      this.setText(n.id, "instances", String(size));
      const input = row.querySelector("[data-scale-input]");
      if (input && document.activeElement !== input) input.value = String(this.pending.get(n.id) ?? size);
      this.setText(n.id, "pending", this.pending.has(n.id) ? `→ ${interpolate(gettext("%(n)s asked"), { n: this.pending.get(n.id) }, true)}` : "");
      this.setText(n.id, "rate", this.rate.has(n.id) ? `${this.rate.get(n.id).toFixed(1)}/s` : "—");
      const backlog = m.backlog ?? 0;
      const cell = this.setText(n.id, "backlog", String(backlog));
      if (cell) cell.dataset.backlog = String(backlog);
      this.setText(n.id, "util", m.utilization === undefined ? "—" : `${Math.round(m.utilization * 100)} %`);
      const cost = this.sized.has(n.id) ? size * (n.cost_per_hour || 0) : (m.cost_per_hour ?? size * (n.cost_per_hour || 0));
      totalCost += cost;
      this.setText(n.id, "cost", money(cost));
      const hot = this.bottleneck === n.id;
      row.classList.toggle("is-bottleneck", hot);
      this.setText(n.id, "flag", hot ? `⚠ ${gettext("bottleneck")}` : "");
      const trend = this.trend.get(n.id) || [];
      const top = Math.max(20, ...trend); // a floor, so a backlog of one does not look like a surge
      this.cells.get(`${n.id}|trend`)?.setAttribute("points", trend.map((v, i) => `${(i * 89) / (TREND_POINTS - 1)},${19 - (v / top) * 18}`).join(" "));
    }
    const total = this.root.querySelector("[data-total-cost]");
    if (total) total.textContent = money(totalCost);
    for (const n of this.brokers) {
      const m = this.metrics.get(n.id) || {};
      this.setText(n.id, "depth", String(m.queued ?? 0));
      this.setText(n.id, "redelivered", String(this.redelivered.get(n.id) || 0));
      this.setText(n.id, "dead", String(this.dead.get(n.id) || 0));
    }
    for (const n of this.sinks) {
      this.setText(n.id, "received", String(this.received.get(n.id) || 0));
      const dup = this.duplicates.get(n.id) || 0;
      this.setText(n.id, "duplicates", String(dup));
    }
    this.renderBadges();
  }

  // Under each stage and broker on the canvas: its backlog (or depth) and throughput; the
  // bottleneck gets a dashed outline and a label. Redrawn when the stage rebuilds its SVG.
  renderBadges() {
    const stage = this.stage;
    if (!stage || !stage.nodeEls) return;
    for (const n of [...this.stages, ...this.brokers]) {
      const entry = stage.nodeEls.get(n.id), box = stage.boxes.get(n.id);
      if (!entry || !box) continue;
      let badge = entry.g.querySelector(".stage-badge");
      if (!badge) {
        // Text sized for the screen, whatever the zoom the stage chose for the topology.
        const px = Math.min(40, Math.max(12, 11 / (stage.scale || 1)));
        badge = svgEl("g", { class: "stage-badge" }, entry.g);
        badge.style.fontSize = `${px}px`; // through the CSSOM: a style attribute is inline style to the CSP
        svgEl("rect", { class: "stage-outline", x: box.x - box.width / 2 - 5, y: box.y - box.height / 2 - 5, width: box.width + 10, height: box.height + 10, rx: 13 }, badge);
        svgEl("text", { class: "stage-flag", x: box.x - box.width / 2, y: box.y - box.height / 2 - 9 }, badge);
        svgEl("text", { class: "stage-figures", x: box.x - box.width / 2 + 4, y: box.y + box.height / 2 + 5, "dominant-baseline": "hanging" }, badge);
      }
      const m = this.metrics.get(n.id) || {};
      const hot = this.bottleneck === n.id;
      entry.g.classList.toggle("stage-bottleneck", hot);
      const flag = badge.querySelector(".stage-flag");
      const flagText = hot ? `⚠ ${gettext("bottleneck")}` : "";
      if (flag.textContent !== flagText) flag.textContent = flagText;
      // Short: neighbouring stages sit close; the table has the rest.
      // Only where work waits, so the queues that build stand out.
      const waiting = BROKERS.has(n.kind) ? (m.queued ?? 0) : (m.backlog ?? 0);
      const figures = waiting ? `${BROKERS.has(n.kind) ? gettext("depth") : gettext("backlog")} ${waiting}` : "";
      const text = badge.querySelector(".stage-figures");
      if (text.textContent !== figures) text.textContent = figures;
    }
  }

  // ---- scaling ------------------------------------------------------------------------
  ask(node, size) {
    size = Math.max(1, Math.min(this.maxInstances, Math.round(size)));
    if (!Number.isFinite(size)) return;
    if (this.send({ action: "scale", node, instances: size })) {
      this.pending.set(node, size);
      this.dirty = true;
      this.render();
    }
  }

  onClick(ev) {
    const button = ev.target.closest("[data-scale-step]");
    if (!button) return;
    const node = button.dataset.node;
    const spec = this.specs.get(node);
    const from = this.pending.get(node) ?? this.instancesOf(spec);
    this.ask(node, from + Number(button.dataset.scaleStep));
  }

  onChange(ev) {
    const input = ev.target.closest("[data-scale-input]");
    if (!input) return;
    const size = Number(input.value);
    if (Number.isInteger(size) && size >= 1) this.ask(input.dataset.scaleInput, size);
  }
}
