// The sweep page: starts a sweep (POST /api/sweeps), polls it (GET /api/sweeps/{id}) and draws
// any figure against the swept value: the mean and its 95% interval per value, and the
// queueing theory's prediction beside it where the topology has one (solid when exact, dashed
// when a bound, dotted when approximate, absent otherwise). Every figure is set as text.

import uPlot from "../vendor/uplot/uPlot.esm.js";
import { request } from "./api.js";
import { showProblems } from "./dom.js";
import { gettext, interpolate, pgettext, word } from "./i18n.js";

const form = document.getElementById("sweep-form");
const problems = document.getElementById("sweep-problems");
const result = document.getElementById("sweep-result");
const bar = document.getElementById("sweep-progress");
const state = document.getElementById("sweep-state");
const cancelButton = document.getElementById("sweep-cancel");
const figureSelect = document.getElementById("sweep-figure");
const fields = JSON.parse(document.getElementById("sweep-fields").textContent);
const say = (text, values) => interpolate(text, values, true);

const FIGURE = {
  latency_mean: gettext("mean latency (ms)"),
  latency_p50: gettext("p50 latency (ms)"),
  latency_p95: gettext("p95 latency (ms)"),
  latency_p99: gettext("p99 latency (ms)"),
  throughput_per_s: gettext("throughput (requests/s)"),
  error_share: gettext("share of requests failed, rejected or timed out"),
  utilisation: gettext("utilisation of the busiest node"),
  completed: gettext("requests completed"),
};
const FIT = {
  exact: gettext("exact"),
  bound: gettext("bound"),
  approximate: gettext("approximate"),
  none: pgettext("fit", "none"),
};
const FIT_LINE = {
  exact: gettext("The theory applies exactly: the line is its prediction."),
  bound: gettext("A node leaves the theory's assumptions: the dashed line is a bound, not a prediction."),
  approximate: gettext("A node leaves the theory's assumptions: the dotted line is only an approximation."),
  none: gettext("No closed form fits this topology: no theory line."),
};
const fitWord = (s) => (Object.hasOwn(FIT, s) ? FIT[s] : s);
const num = (x, digits = 3) =>
  x === null || x === undefined ? "–" : Number(x).toLocaleString("en", { maximumFractionDigits: digits });

let sweep = null;
let timer = null;
let plot = null;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function fillTargets() {
  const select = document.getElementById("sweep-target");
  fields.forEach((f, i) => {
    const now = f.value === null ? gettext("none") : num(f.value);
    const option = el("option", say(gettext("%(node)s · %(field)s (now %(value)s)"), { node: f.node, field: f.field, value: now }));
    option.value = String(i);
    select.append(option);
  });
  const prefer = fields.findIndex((f) => f.field === "rate");
  if (prefer >= 0) select.value = String(prefer);
}

// "10, 20, 30" is a list; "10:50:10" is start:stop:step, inclusive.
function valuesOf(text) {
  const range = text.match(/^\s*(-?[\d.]+)\s*:\s*(-?[\d.]+)\s*:\s*([\d.]+)\s*$/);
  if (range) return { start: Number(range[1]), stop: Number(range[2]), step: Number(range[3]) };
  return { values: text.split(/[\s,;]+/).filter(Boolean).map(Number) };
}

async function start(event) {
  event.preventDefault();
  problems.hidden = true;
  const data = new FormData(form);
  const target = fields[Number(data.get("target"))];
  const body = {
    topology: Number(form.dataset.topology),
    node: target.node,
    field: target.field,
    seeds: Number(data.get("seeds") || 3),
    requests: Number(data.get("requests") || 5000),
    seed: Number(data.get("seed") || 1),
    ...valuesOf(String(data.get("values") || "")),
  };
  if (form.dataset.key) body.key = form.dataset.key;
  try {
    sweep = await request("POST", "/api/sweeps", body);
  } catch (error) {
    showProblems(problems, error);
    return;
  }
  history.replaceState(null, "", sweep.url);
  show(sweep);
  poll();
}

function poll() {
  clearTimeout(timer);
  if (!sweep || !["queued", "running"].includes(sweep.status)) return;
  timer = setTimeout(async () => {
    try {
      sweep = await request("GET", `/api/sweeps/${sweep.id}`);
      show(sweep);
    } catch (error) {
      showProblems(problems, error);
    }
    poll();
  }, 1000);
}

async function cancel() {
  try {
    sweep = await request("POST", `/api/sweeps/${sweep.id}/cancel`);
    show(sweep);
  } catch (error) {
    showProblems(problems, error);
  }
}

function show(s) {
  result.hidden = false;
  const p = s.progress;
  const ended = p.done + p.skipped + p.failed;
  bar.max = p.total;
  bar.value = ended;
  state.textContent = say(gettext("%(status)s: %(done)s of %(total)s runs done, %(skipped)s skipped, %(failed)s failed"), {
    status: word(s.status), done: p.done, total: p.total, skipped: p.skipped, failed: p.failed,
  });
  state.dataset.status = s.status;
  cancelButton.hidden = !["queued", "running"].includes(s.status);
  document.getElementById("export-csv").href = `/api/sweeps/${s.id}/export?format=csv`;
  document.getElementById("export-json").href = `/api/sweeps/${s.id}/export?format=json`;
  if (!figureSelect.options.length) {
    for (const name of s.figures) {
      const option = el("option", FIGURE[name] || name);
      option.value = name;
      figureSelect.append(option);
    }
  }
  const theory = document.getElementById("sweep-theory");
  theory.textContent = `${gettext("Theory")}: ${fitWord(s.fit)}. ${FIT_LINE[s.fit] || ""}`;
  theory.className = `sweep-theory fit-${s.fit}`;
  const reasons = document.getElementById("sweep-reasons");
  reasons.replaceChildren(...s.reasons.map((r) => el("li", r)));
  draw(s);
}

function draw(s) {
  const name = figureSelect.value || "latency_mean";
  const predicted = s.predicted.includes(name) && s.fit !== "none";
  const xs = s.rows.map((r) => r.value);
  const f = (key) => s.rows.map((r) => r.figures[name][key] ?? null);
  const theoryLine = s.rows.map((r) => (predicted ? (r.theory[name] ?? null) : null));
  const box = document.getElementById("sweep-chart");
  const dash = { exact: undefined, bound: [8, 4], approximate: [2, 3] }[s.fit];
  const series = [
    { label: `${s.node}.${s.field}` },
    { label: gettext("simulation mean"), stroke: "#0072B2", width: 2, points: { show: true, size: 7, fill: "#0072B2" } },
    { label: gettext("95% low"), stroke: "#56B4E9", width: 1, dash: [4, 3], points: { show: false } },
    { label: gettext("95% high"), stroke: "#56B4E9", width: 1, dash: [4, 3], points: { show: false } },
    { label: `${gettext("theory")} (${fitWord(s.fit)})`, stroke: "#D55E00", width: 2, dash, show: predicted, points: { show: true, size: 5, fill: "#D55E00" } },
  ];
  const data = [xs, f("mean"), f("low"), f("high"), theoryLine];
  if (plot) plot.destroy();
  plot = new uPlot(
    {
      width: Math.max(280, box.clientWidth),
      height: 300,
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false }, y: { auto: true } },
      bands: [{ series: [3, 2], fill: "rgba(86,180,233,0.15)" }],
      axes: [
        { stroke: "#222", grid: { stroke: "#eee" }, font: "12px system-ui", label: `${s.node}.${s.field}`, labelFont: "12px system-ui" },
        { stroke: "#222", grid: { stroke: "#e3e3e3" }, size: 60, font: "12px system-ui", label: FIGURE[name] || name, labelFont: "12px system-ui" },
      ],
      series,
    },
    data,
    box,
  );
  const body = document.querySelector("#sweep-table tbody");
  body.replaceChildren(
    ...s.rows.map((r) => {
      const tr = el("tr");
      const fig = r.figures[name];
      const interval = fig.low === null ? "–" : `${num(fig.low)} – ${num(fig.high)}`;
      const th = predicted ? r.theory[name] : null;
      for (const [text, cls] of [[num(r.value), "num"], [r.runs, "num"], [num(fig.mean), "num"], [interval, "num"], [num(th), "num"], [fitWord(r.fit), `fit-${r.fit}`]]) {
        tr.append(el("td", text, cls));
      }
      return tr;
    }),
  );
}

fillTargets();
form.addEventListener("submit", start);
cancelButton.addEventListener("click", cancel);
figureSelect.addEventListener("change", () => sweep && draw(sweep));
if (form.dataset.sweep) {
  request("GET", `/api/sweeps/${form.dataset.sweep}`).then((s) => { sweep = s; show(s); poll(); }, (error) => showProblems(problems, error));
}
