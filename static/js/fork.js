// Fork from a moment (docs/experiments.md): the run page's "Fork from here" control, and where
// this run was forked from. The moment is the run view's display clock (window.playground.now),
// which the scrubber and the player move. POST /api/runs/{id}/fork, then open the new run.

import { request } from "./api.js";
import { h } from "./dom.js";
import { gettext, interpolate, word } from "./i18n.js";

const ALGORITHMS = ["round_robin", "weighted_round_robin", "least_connections", "sticky", "ip_hash", "consistent_hash", "random", "power_of_two"];
// Which nodes each change applies to (patterns/forking.py SETTABLE, patterns/scaling.py SCALABLE).
const KINDS_FOR = {
  scale: ["service", "filter"],
  algorithm: ["load_balancer"],
  rate: ["client", "source"],
  timeout_ms: ["aggregator"],
  crash: ["service", "function", "filter", "database", "load_balancer", "orchestrator", "topic", "queue", "dispatcher", "aggregator"],
  slow: ["service", "function", "filter", "database"],
};

const boot = JSON.parse(document.getElementById("run-boot").textContent);
const nodes = boot.document.nodes || [];
const $ = (id) => document.getElementById(id);
const key = boot.key ? `?key=${encodeURIComponent(boot.key)}` : "";

function moment() {
  const now = window.playground ? window.playground.now : 0;
  return Math.max(0, Math.round(now * 1000) / 1000);
}

function fillNodes() {
  const kind = $("fork-kind").value;
  const select = $("fork-node");
  const fit = nodes.filter((n) => KINDS_FOR[kind].includes(n.kind));
  select.replaceChildren(...fit.map((n) => h("option", { value: n.id }, n.label || n.id)));
  const algorithm = kind === "algorithm";
  $("fork-algorithm").hidden = !algorithm;
  $("fork-value").hidden = algorithm || kind === "crash" || kind === "slow";
  $("fork-value-label").hidden = kind === "crash" || kind === "slow";
  const node = fit[0];
  if (!node) return;
  if (kind === "scale") $("fork-value").value = String((node.instances || 1) + 1);
  if (kind === "rate") $("fork-value").value = String((node.rate || 10) * 2);
  if (kind === "timeout_ms") $("fork-value").value = String(node.timeout_ms ?? 1000);
}

function change() {
  const kind = $("fork-kind").value;
  const node = $("fork-node").value;
  const raw = $("fork-value").value.trim();
  if (kind === "scale") return { kind: "scale", node, instances: Number.parseInt(raw, 10) };
  if (kind === "algorithm") return { kind: "set", node, field: "algorithm", value: $("fork-algorithm").value };
  if (kind === "rate" || kind === "timeout_ms") return { kind: "set", node, field: kind, value: raw === "" ? null : Number(raw) };
  if (kind === "crash") return { kind: "fault", fault: { kind: "crash", node } };
  return { kind: "fault", fault: { kind: "slow", node, factor: 10 } };
}

async function submit(ev) {
  ev.preventDefault();
  const error = $("fork-error");
  error.hidden = true;
  $("fork-submit").disabled = true;
  try {
    const run = await request("POST", `/api/runs/${boot.id}/fork${key}`, { t: moment(), change: change(), speed: boot.speed ?? "max" });
    window.location.assign(`/runs/${run.id}/`);
  } catch (e) {
    error.textContent = e.message;
    error.hidden = false;
    $("fork-submit").disabled = false;
  }
}

async function lineage() {
  let info;
  try {
    info = await request("GET", `/api/runs/${boot.id}/lineage${key}`);
  } catch {
    return; // not ours to show (an old run, an API refusal): the page works without it
  }
  if (info.fork) {
    const f = info.fork;
    $("fork-origin-text").textContent = interpolate(gettext("Forked from run %(parent)s at t = %(t)s s, then: %(change)s."), { parent: f.parent ?? "—", t: (f.t / 1000).toFixed(3), change: describe(f.change) }, true);
    if (f.parent) {
      $("fork-parent-link").href = `/runs/${f.parent}/`;
      $("fork-compare-link").href = f.compare_url;
    } else {
      $("fork-parent-link").hidden = true;
      $("fork-compare-link").hidden = true;
    }
    $("fork-origin").hidden = false;
  }
  if (info.forks && info.forks.length) {
    $("fork-children-links").replaceChildren(...info.forks.flatMap((id, i) => [i ? ", " : "", h("a", { href: `/runs/${id}/` }, `#${id}`)]));
    $("fork-children").hidden = false;
  }
}

export function describe(c) {
  if (c.kind === "scale") return interpolate(gettext("%(node)s scaled to %(n)s"), { node: c.node, n: c.instances }, true);
  if (c.kind === "fault") return interpolate(gettext("fault %(kind)s at %(node)s"), { kind: word(c.fault.kind), node: c.fault.node || c.fault.zone }, true);
  return interpolate(gettext("%(node)s %(field)s set to %(value)s"), { node: c.node, field: c.field, value: c.field === "algorithm" ? word(c.value) : c.value ?? "—" }, true);
}

lineage();
// A visitor watching a saved topology's run may not fork it (a new run of it needs an account):
// the template leaves the control out.
if ($("fork-panel")) {
  $("fork-algorithm").replaceChildren(...ALGORITHMS.map((a) => h("option", { value: a }, word(a))));
  $("fork-kind").addEventListener("change", fillNodes);
  $("fork-form").addEventListener("submit", submit);
  // Which changes this topology has nodes for.
  for (const option of $("fork-kind").options) option.disabled = !nodes.some((n) => KINDS_FOR[option.value].includes(n.kind));
  fillNodes();
  setInterval(() => { if ($("fork-panel").open) $("fork-at").textContent = `${(moment() / 1000).toFixed(2)} s`; }, 200);
  $("fork-panel").addEventListener("toggle", () => { $("fork-at").textContent = `${(moment() / 1000).toFixed(2)} s`; });
}
