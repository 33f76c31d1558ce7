// The capacity page: asks POST /api/capacity, draws the table, exports it, and
// cross-checks it with a run of a scaled-down copy (POST /api/capacity/check).
// Every figure is set as text: nothing from the document is parsed as HTML.

import { request } from "./api.js";
import { showProblems } from "./dom.js";
import { gettext, interpolate, ngettext, pgettext, word } from "./i18n.js";
import { KIND_STYLE } from "./layout.js";

const form = document.getElementById("capacity-form");
const problems = document.getElementById("capacity-problems");
const result = document.getElementById("capacity-result");
const checkState = document.getElementById("check-state");
const topologyId = Number(form.dataset.topology);
const shareKey = form.dataset.key || null;
let last = null; // the last estimate and what was asked
let asked = null;

const num = (x, digits = 1) =>
  x === null || x === undefined ? "∞" : Number(x).toLocaleString("en", { maximumFractionDigits: digits });
const pct = (x) => (x === null || x === undefined ? "∞" : `${(x * 100).toFixed(0)}%`);
// Each say(gettext("…"), values) keeps the literal inside gettext for `make messages`.
const say = (text, values) => interpolate(text, values, true);
// How well the formulas fit (patterns/capacity.py EXACT, BOUND, APPROXIMATE, NONE): the code
// stays in the class name, the word is in the page's language.
const FIT = {
  exact: gettext("exact"),
  bound: gettext("bound"),
  approximate: gettext("approximate"),
  none: pgettext("fit", "none"),
};
const fitWord = (status) => (Object.hasOwn(FIT, status) ? FIT[status] : status);
const UNIT = { connections: gettext("connections"), max_instances: gettext("max instances") };

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function payload() {
  const data = new FormData(form);
  const body = {
    topology: topologyId,
    peak_factor: Number(data.get("peak") || 1),
    target_utilisation: Number(data.get("target") || 70) / 100,
  };
  if (shareKey) body.key = shareKey;
  const load = String(data.get("load") || "").trim();
  if (load) body.load = `${load}/${data.get("unit")}`;
  const p99 = String(data.get("p99") || "").trim();
  if (p99) body.target_p99_ms = Number(p99);
  const cost = String(data.get("cost") || "").trim();
  if (cost) body.default_cost_per_hour = Number(cost);
  return body;
}

function headline(est) {
  const box = document.getElementById("capacity-headline");
  box.replaceChildren();
  const add = (label, value) => {
    const li = el("li", say(gettext("%(label)s: "), { label }));
    li.append(el("strong", value));
    box.append(li);
  };
  const none = gettext("none");
  add(
    gettext("Peak load"),
    say(gettext("%(peak)s requests/s (%(day)s a day × %(factor)s)"), {
      peak: num(est.load.peak_per_s), day: num(est.load.per_day, 0), factor: est.load.peak_factor,
    }),
  );
  for (const [id, c] of Object.entries(est.clients)) {
    add(
      say(gettext("End to end, %(client)s"), { client: id }),
      say(gettext("%(planned)s ms planned (%(now)s ms as it is)"), { planned: num(c.planned_latency_ms), now: num(c.latency_ms) }),
    );
  }
  add(gettext("Bottleneck at this load"), est.bottleneck || none);
  add(gettext("Saturated as the document sizes them"), est.saturated.length ? est.saturated.join(", ") : none);
  const first = est.first_to_saturate;
  const factor = Number(first.at_load_factor).toPrecision(3);
  add(
    gettext("First to saturate as load grows"),
    first.node
      ? first.waiting_on
        ? say(gettext("%(node)s at ×%(factor)s (waiting on %(other)s)"), { node: first.node, factor, other: first.waiting_on })
        : say(gettext("%(node)s at ×%(factor)s"), { node: first.node, factor })
      : none,
  );
  add(
    gettext("Cost per month"),
    say(gettext("%(planned)s planned (%(now)s as it is)"), { planned: num(est.planned_cost_per_month, 0), now: num(est.cost_per_month, 0) }),
  );
  add(gettext("Theory fits the plan"), fitWord(est.fit));
}

function table(est) {
  const body = document.querySelector("#capacity-table tbody");
  body.replaceChildren();
  for (const [id, row] of Object.entries(est.nodes)) {
    const tr = el("tr");
    if (id === est.bottleneck) tr.className = "bottleneck";
    const name = el("th", id);
    name.scope = "row";
    if (id === est.bottleneck) name.append(el("span", gettext("bottleneck"), "flag"));
    if (id === est.first_to_saturate.node) name.append(el("span", gettext("saturates first"), "flag"));
    const pool = "utilisation" in row;
    const planned = row.planned || {};
    tr.append(
      name,
      el("td", (KIND_STYLE[row.kind] || { short: row.kind }).short), // the kind in the page's language
      el("td", num(row.rate_per_s), "num"),
      el("td", pool ? pct(row.utilisation) : "", "num"),
      el("td", pool ? `${row.size} ${row.unit === "instances" ? "" : UNIT[row.unit] || row.unit.replace("_", " ")}`.trim() : "", "num"),
      el("td", pool ? String(row.needed) : "", "num"),
      el("td", pool ? pct(planned.utilisation) : "", "num"),
      el("td", row.kind === "client" || row.kind === "source" ? "" : num(planned.response_ms), "num"),
      el("td", pool ? num(planned.p99_ms) : "", "num"),
      el("td", pool ? num(row.planned_cost_per_month, 0) : "", "num"),
      el("td", fitWord(row.fit.status), `fit-${row.fit.status}`),
    );
    body.append(tr);
  }
  const reasons = document.getElementById("capacity-reasons");
  reasons.replaceChildren();
  for (const [id, row] of Object.entries(est.nodes)) {
    for (const reason of row.fit.reasons) {
      const li = el("li");
      li.append(el("strong", say(gettext("%(node)s (%(fit)s): "), { node: id, fit: fitWord(row.fit.status) })), document.createTextNode(reason));
      reasons.append(li);
    }
  }
  for (const text of est.assumptions) reasons.append(el("li", text));
}

async function estimate(event) {
  if (event) event.preventDefault();
  problems.hidden = true;
  asked = payload();
  try {
    last = await request("POST", "/api/capacity", asked);
  } catch (error) {
    showProblems(problems, error);
    return;
  }
  headline(last);
  table(last);
  result.hidden = false;
}

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

const CSV_COLUMNS = [
  ["node", (id) => id], ["kind", (id, r) => r.kind], ["rate_per_s", (id, r) => r.rate_per_s],
  ["utilisation", (id, r) => r.utilisation], ["size", (id, r) => r.size], ["unit", (id, r) => r.unit],
  ["needed", (id, r) => r.needed], ["planned_utilisation", (id, r) => r.planned?.utilisation],
  ["planned_wait_ms", (id, r) => r.planned?.wait_ms], ["planned_response_ms", (id, r) => r.planned?.response_ms],
  ["planned_p99_ms", (id, r) => r.planned?.p99_ms], ["cost_per_month", (id, r) => r.cost_per_month],
  ["planned_cost_per_month", (id, r) => r.planned_cost_per_month], ["fit", (id, r) => r.fit.status],
  ["reasons", (id, r) => r.fit.reasons.join(" | ")],
];

function csvCell(value) {
  if (value === undefined || value === null) return "";
  const text = String(value);
  // Quote, and keep a spreadsheet from reading a cell as a formula.
  const safe = /^[=+\-@]/.test(text) && Number.isNaN(Number(text)) ? `'${text}` : text;
  return /[",\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function csv(est) {
  const lines = [CSV_COLUMNS.map(([name]) => name).join(",")];
  for (const [id, row] of Object.entries(est.nodes)) {
    lines.push(CSV_COLUMNS.map(([, get]) => csvCell(get(id, row))).join(","));
  }
  return lines.join("\n") + "\n";
}

async function crossCheck() {
  const button = document.getElementById("cross-check");
  button.disabled = true;
  checkState.textContent = gettext("Starting a run of a scaled-down copy…");
  let started;
  try {
    started = await request("POST", "/api/capacity/check", asked);
  } catch (error) {
    checkState.textContent = "";
    showProblems(problems, error);
    button.disabled = false;
    return;
  }
  const id = started.run.id;
  const query = shareKey ? `?key=${encodeURIComponent(shareKey)}` : "";
  checkState.replaceChildren(document.createTextNode(gettext("Simulating: ")), Object.assign(el("a", say(gettext("run #%(id)s"), { id })), { href: `/runs/${id}/${query}` }), document.createTextNode("…"));
  for (let i = 0; i < 1200; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    let answer;
    try {
      answer = await request("GET", `/api/capacity/check/${id}${query}`);
    } catch (error) {
      showProblems(problems, error);
      break;
    }
    const status = answer.run.status;
    if (answer.comparison) {
      showCheck(answer.comparison, id, query);
      checkState.textContent = "";
      break;
    }
    if (["failed", "cancelled"].includes(status) || (status === "finished" && !answer.comparison)) {
      checkState.textContent = answer.run.reason
        ? say(gettext("The run ended %(status)s: %(reason)s."), { status: word(status), reason: answer.run.reason })
        : say(gettext("The run ended %(status)s."), { status: word(status) });
      break;
    }
  }
  button.disabled = false;
}

function signed(x) {
  return x === null || x === undefined ? "—" : `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
}

function showCheck(cmp, id, query) {
  const box = document.getElementById("check-result");
  const lat = cmp.latency_ms;
  const summary = document.getElementById("check-summary");
  // The sentence is translated whole; the run's link takes the place of %(run)s.
  const completed = cmp.requests.completed;
  const sentence = interpolate(
    ngettext(
      "Mean latency: %(simulated)s ms simulated against %(predicted)s ms predicted (%(difference)s), over %(completed)s completed request of %(run)s. Theory fits: %(fit)s.",
      "Mean latency: %(simulated)s ms simulated against %(predicted)s ms predicted (%(difference)s), over %(completed)s completed requests of %(run)s. Theory fits: %(fit)s.",
      completed,
    ),
    {
      simulated: num(lat.simulated_mean), predicted: num(lat.predicted_mean), difference: signed(lat.difference),
      completed, run: "\u0000", fit: fitWord(cmp.fit),
    },
    true,
  );
  const [before, after = ""] = sentence.split("\u0000");
  summary.replaceChildren(
    document.createTextNode(before),
    Object.assign(el("a", say(gettext("run #%(id)s"), { id })), { href: `/runs/${id}/${query}` }),
    document.createTextNode(after),
  );
  const body = document.querySelector("#check-table tbody");
  body.replaceChildren();
  for (const [node, row] of Object.entries(cmp.nodes)) {
    const th = el("th", node);
    th.scope = "row";
    const tr = el("tr");
    tr.append(th, el("td", pct(row.predicted_utilisation), "num"), el("td", pct(row.simulated_utilisation), "num"), el("td", signed(row.difference), "num"), el("td", fitWord(row.fit), `fit-${row.fit}`));
    body.append(tr);
  }
  box.hidden = false;
}

form.addEventListener("submit", estimate);
document.getElementById("export-csv").addEventListener("click", () => last && download("capacity.csv", "text/csv", csv(last)));
document.getElementById("export-json").addEventListener("click", () => last && download("capacity.json", "application/json", JSON.stringify(last, null, 2)));
document.getElementById("cross-check")?.addEventListener("click", crossCheck);
estimate();
