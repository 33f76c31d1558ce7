// An A/B test's page (docs/experiments.md): progress while it runs, then each variant's figures
// with 95% intervals and the paired differences from the baseline; and the variants side by
// side: one recorded run each on the first seed, replayed in step from their stored events.

import { request } from "./api.js";
import { h } from "./dom.js";
import { gettext, interpolate, word } from "./i18n.js";

const boot = JSON.parse(document.getElementById("ab-boot").textContent);
const $ = (id) => document.getElementById(id);

const LABELS = {
  mean_ms: gettext("mean latency (ms)"),
  p50_ms: gettext("p50 latency (ms)"),
  p95_ms: gettext("p95 latency (ms)"),
  p99_ms: gettext("p99 latency (ms)"),
  max_ms: gettext("max latency (ms)"),
  completed: gettext("completed"),
  failed: gettext("requests failed"),
  timed_out: gettext("timed out"),
  rejected: gettext("rejected"),
  ok_share: gettext("share completed"),
};

function num(x, figure) {
  if (x === null || x === undefined) return "—";
  if (figure === "ok_share") return `${(x * 100).toFixed(2)}%`;
  return Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(2);
}

function cell(stats, figure, difference) {
  const ci = stats.low === null ? "" : ` [${num(stats.low, figure)}, ${num(stats.high, figure)}]`;
  const clear = difference && stats.low !== null && (stats.low > 0 || stats.high < 0);
  const sign = difference && stats.mean > 0 ? "+" : "";
  return h("td", { class: `num${clear ? " sig" : ""}`, "data-figure": figure }, `${sign}${num(stats.mean, figure)}`, h("span", { class: "ci" }, ci));
}

function table(test) {
  const { variants, differences } = test.result;
  const head = h("tr", {}, h("th", { scope: "col" }, gettext("Figure")),
    variants.map((v, i) => h("th", { scope: "col", class: "num" }, i === 0 ? interpolate(gettext("%(name)s (baseline)"), { name: v.name }, true) : v.name)),
    differences.map((d) => h("th", { scope: "col", class: "num" }, interpolate(gettext("Δ %(b)s − %(a)s (paired)"), { a: d.versus, b: d.name }, true))));
  $("ab-table").tHead.replaceChildren(head);
  $("ab-table").tBodies[0].replaceChildren(...test.figures.map((f) => h("tr", {},
    h("th", { scope: "row" }, LABELS[f] || f),
    variants.map((v) => cell(v.figures[f], f, false)),
    differences.map((d) => cell(d.figures[f], f, true)))));
  $("ab-table").hidden = false;
  $("ab-exports").hidden = false;
}

function show(test) {
  $("ab-status").textContent = word(test.status);
  $("ab-status").className = `badge status-${test.status}`;
  $("ab-progress").max = test.total;
  $("ab-progress").value = test.done;
  $("ab-count").textContent = interpolate(gettext("%(done)s of %(total)s runs"), { done: test.done, total: test.total }, true);
  if (test.error) { $("ab-error").textContent = test.error; $("ab-error").hidden = false; }
  if (test.status === "finished") table(test);
}

async function poll() {
  const test = await request("GET", `/api/ab/${boot.id}`);
  show(test);
  if (test.status === "queued" || test.status === "running") setTimeout(poll, 700);
  else if (test.watch_runs) watch(test);
  return test;
}

// ---- side by side ------------------------------------------------------------

const panels = [];
let clock = 0;
let end = 0;
let playing = false;
let last = 0;

async function loadRun(id) {
  for (;;) {
    const run = await request("GET", `/api/runs/${id}`);
    if (["finished", "failed", "cancelled"].includes(run.status)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const metrics = [];
  const done = [];
  let after = -1;
  for (;;) {
    const page = await request("GET", `/api/runs/${id}/events?after=${after}&limit=10000`);
    for (const e of page.events) {
      if (e.type === "metrics") metrics.push(e);
      else if (e.type === "request.done") done.push(e);
    }
    if (!page.events.length) break;
    after = page.last_seq;
  }
  return { metrics, done };
}

function lastAtOrBefore(list, t) {
  let lo = 0, hi = list.length; // first index with list[i].t > t
  while (lo < hi) { const mid = (lo + hi) >> 1; if (list[mid].t <= t) lo = mid + 1; else hi = mid; }
  return lo;
}

function panel(name, data, maxInFlight) {
  const nodeIds = Object.keys(data.metrics[0]?.nodes || {});
  const rows = nodeIds.map((id) => {
    const inflight = h("progress", { max: maxInFlight, value: 0 });
    const util = h("meter", { min: 0, max: 1, low: 0.7, high: 0.9, optimum: 0.3, value: 0 });
    const text = h("span", { class: "muted" });
    return { id, inflight, util, text, row: h("tr", {}, h("th", { scope: "row" }, id), h("td", {}, inflight), h("td", {}, util), h("td", { class: "num" }, text)) };
  });
  const counters = { ok: h("strong", {}), failed: h("strong", {}), mean: h("strong", {}) };
  const box = h("div", { class: "ab-stage", "data-variant": name },
    h("h3", {}, name),
    h("p", {}, `${gettext("completed")} `, counters.ok, ` · ${gettext("requests failed")} `, counters.failed, ` · ${gettext("mean latency (ms)")} `, counters.mean),
    h("table", { class: "table compact" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, gettext("Node")), h("th", { scope: "col" }, gettext("in flight")), h("th", { scope: "col" }, gettext("utilisation")), h("th", { scope: "col" }, ""))), h("tbody", {}, rows.map((r) => r.row))));
  // Running sums of request.done, so any moment reads in one binary search.
  const okSum = [], okCount = [], failCount = [];
  let s = 0, n = 0, f = 0;
  for (const e of data.done) {
    if (e.outcome === "ok") { s += e.latency_ms; n += 1; } else f += 1;
    okSum.push(s); okCount.push(n); failCount.push(f);
  }
  return { box, rows, counters, data, okSum, okCount, failCount };
}

function render() {
  for (const p of panels) {
    const m = p.data.metrics[lastAtOrBefore(p.data.metrics, clock) - 1];
    for (const r of p.rows) {
      const snap = m ? m.nodes[r.id] : null;
      r.inflight.value = snap ? snap.in_flight : 0;
      r.util.value = snap ? snap.utilization : 0;
      r.text.textContent = snap ? `${snap.in_flight} · ${Math.round(snap.utilization * 100)}%` : "";
    }
    const k = lastAtOrBefore(p.data.done, clock) - 1;
    p.counters.ok.textContent = k >= 0 ? String(p.okCount[k]) : "0";
    p.counters.failed.textContent = k >= 0 ? String(p.failCount[k]) : "0";
    p.counters.mean.textContent = k >= 0 && p.okCount[k] ? (p.okSum[k] / p.okCount[k]).toFixed(1) : "—";
  }
  $("ab-clock").textContent = `t = ${(clock / 1000).toFixed(1)} s`;
  $("ab-scrub").value = String(Math.round(clock));
}

function tick(wall) {
  if (playing) {
    const rate = Math.max(1, end / 20000); // the whole run in about 20 s
    clock = Math.min(end, clock + (wall - last) * rate);
    if (clock >= end) { playing = false; $("ab-play").textContent = `▶ ${gettext("Play")}`; }
    render();
  }
  last = wall;
  requestAnimationFrame(tick);
}

async function watch(test) {
  $("ab-watch").disabled = true;
  $("ab-watch-state").textContent = gettext("Running and loading the recorded runs…");
  const loaded = await Promise.all(test.watch_runs.map(loadRun));
  let maxInFlight = 1;
  for (const d of loaded) for (const m of d.metrics) for (const s of Object.values(m.nodes)) maxInFlight = Math.max(maxInFlight, s.in_flight);
  end = Math.max(0, ...loaded.map((d) => Math.max(d.metrics.at(-1)?.t ?? 0, d.done.at(-1)?.t ?? 0)));
  loaded.forEach((d, i) => panels.push(panel(test.variants[i].name, d, maxInFlight)));
  $("ab-stages").replaceChildren(...panels.map((p) => p.box));
  $("ab-scrub").max = String(Math.ceil(end));
  $("ab-scrub-label").hidden = false;
  $("ab-play").hidden = false;
  $("ab-compare").href = `/compare/?runs=${test.watch_runs.join(",")}`;
  $("ab-compare").hidden = false;
  $("ab-watch-state").textContent = interpolate(gettext("seed %(seed)s"), { seed: test.seeds[0] }, true);
  playing = true;
  $("ab-play").textContent = `❚❚ ${gettext("Pause")}`;
  render();
}

$("ab-watch").addEventListener("click", async () => {
  $("ab-watch").disabled = true;
  try {
    watch(await request("POST", `/api/ab/${boot.id}/watch`, {}));
  } catch (e) {
    $("ab-watch-state").textContent = e.message;
    $("ab-watch").disabled = false;
  }
});
$("ab-play").addEventListener("click", () => {
  if (!playing && clock >= end) clock = 0;
  playing = !playing;
  $("ab-play").textContent = playing ? `❚❚ ${gettext("Pause")}` : `▶ ${gettext("Play")}`;
});
$("ab-scrub").addEventListener("input", (ev) => { playing = false; $("ab-play").textContent = `▶ ${gettext("Play")}`; clock = Number(ev.target.value); render(); });
requestAnimationFrame(tick);
window.abPage = { get clock() { return clock; }, get panels() { return panels.length; } };
poll();
