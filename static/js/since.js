// The compare page lined up from a moment (?from=T): each run's mean latency per simulated
// second after it, on one time axis that starts at the moment (playground/experiments/fork_compare.py).

import uPlot from "../vendor/uplot/uPlot.esm.js";
import { gettext, interpolate } from "./i18n.js";

const COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"];

const data = JSON.parse(document.getElementById("since-data").textContent);
const box = document.getElementById("since-chart");
const length = Math.max(0, ...data.runs.map((r) => r.series.mean_ms.length));
const xs = Array.from({ length }, (_, i) => i);
new uPlot(
  {
    width: Math.max(240, box.clientWidth),
    height: 240,
    scales: { x: { time: false } },
    axes: [
      { label: interpolate(gettext("seconds after t = %(t)s s"), { t: data.t_s }, true), labelSize: 18, font: "12px system-ui" },
      { label: "ms", size: 52, font: "12px system-ui" },
    ],
    series: [{}, ...data.runs.map((r, i) => ({ label: `#${r.id}`, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true }))],
  },
  [xs, ...data.runs.map((r) => xs.map((i) => r.series.mean_ms[i] ?? null))],
  box,
);
