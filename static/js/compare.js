// The compare page's chart: each run's latency at mean, p50, p95, p99 and max (uPlot).

import uPlot from "../vendor/uplot/uPlot.esm.js";
import { gettext } from "./i18n.js";

const OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"];
const DASHES = [undefined, [6, 3], [2, 2], [8, 3, 2, 3]];

function draw() {
  const data = JSON.parse(document.getElementById("compare-data").textContent);
  const box = document.getElementById("latency-chart");
  const names = data.percentiles;
  const xs = names.map((_, i) => i);
  const series = data.runs.map((run, i) => ({
    label: run.label.replace(/ · .* · /, " · "),
    stroke: OKABE_ITO[i % OKABE_ITO.length],
    dash: DASHES[i % DASHES.length],
    width: 2,
    points: { show: true, size: 7, fill: OKABE_ITO[i % OKABE_ITO.length] },
  }));
  const values = data.runs.map((run) => names.map((p) => run.latency_ms?.[p] ?? null));
  new uPlot(
    {
      width: Math.max(240, box.clientWidth),
      height: 260,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false, range: [-0.2, names.length - 0.8] }, y: { auto: true, range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [
        { stroke: "#222", grid: { show: false }, font: "12px system-ui", splits: () => xs, values: (u, splits) => splits.map((i) => names[i] ?? "") },
        { stroke: "#222", grid: { stroke: "#e3e3e3" }, size: 52, font: "12px system-ui", label: "ms", labelSize: 14, labelFont: "12px system-ui" },
      ],
      series: [{ label: gettext("percentile"), value: (u, i) => (i == null ? "" : names[i]) }, ...series],
    },
    [xs, ...values],
    box,
  );
}

draw();
