// Live charts of a run (uPlot): throughput, latency percentiles, utilisation, errors.

import uPlot from "../vendor/uplot/uPlot.esm.js";
import { gettext } from "./i18n.js";

const OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

function chart(container, title, seriesDefs, { yLabel, range } = {}) {
  const box = document.createElement("figure");
  box.className = "chart";
  box.setAttribute("aria-label", title);
  container.appendChild(box);
  const opts = {
    title,
    width: Math.max(200, box.clientWidth - 6),
    height: 118,
    legend: { show: true, live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false }, y: range ? { range } : { auto: true, range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
    axes: [
      { stroke: "#222", grid: { stroke: "#e3e3e3" }, size: 28, font: "12px system-ui", values: (u, vals) => vals.map((v) => `${v}s`) },
      { stroke: "#222", grid: { stroke: "#e3e3e3" }, size: 46, font: "12px system-ui", label: yLabel, labelSize: 14, labelFont: "12px system-ui" },
    ],
    series: [{ label: "t" }, ...seriesDefs.map((s, i) => ({ label: s.label, stroke: s.color || OKABE_ITO[i % 8], width: 2, dash: s.dash, spanGaps: true, points: { show: false } }))],
  };
  const data = [[], ...seriesDefs.map(() => [])];
  const plot = new uPlot(opts, data, box);
  return { plot, box };
}

export class Charts {
  constructor(container, utilNodes) {
    this.container = container;
    this.utilNodes = utilNodes;
    this.throughput = chart(container, gettext("Throughput (completed/s)"), [{ label: gettext("completed/s"), color: "#009E73" }], { yLabel: gettext("req/s") });
    this.latency = chart(container, gettext("Latency (ms)"), [
      { label: "p50", color: "#0072B2" }, { label: "p95", color: "#E69F00" }, { label: "p99", color: "#D55E00", dash: [6, 3] },
    ], { yLabel: "ms" });
    // xgettext:no-javascript-format
    this.util = chart(container, gettext("Utilisation (% busy)"), utilNodes.map((id, i) => ({ label: id, color: OKABE_ITO[(i + 1) % 7] })), { yLabel: "%", range: [0, 100] });
    this.errors = chart(container, gettext("Errors per second"), [
      { label: gettext("failed"), color: "#D55E00" }, { label: gettext("rejected"), color: "#E69F00", dash: [6, 3] }, { label: gettext("timed out"), color: "#CC79A7", dash: [2, 2] },
    ], { yLabel: gettext("per s") });
    this.points = 0;
    new ResizeObserver(() => this.resize()).observe(container);
  }

  resize() {
    for (const c of [this.throughput, this.latency, this.util, this.errors]) c.plot.setSize({ width: Math.max(200, c.box.clientWidth - 6), height: 118 });
  }

  update(series) {
    this.points = series.xs.length;
    this.throughput.plot.setData([series.xs, series.ok]);
    this.latency.plot.setData([series.xs, series.p50, series.p95, series.p99]);
    this.util.plot.setData([series.xs, ...series.util]);
    this.errors.plot.setData([series.xs, series.failed, series.rejected, series.timedOut]);
  }
}
