// Structured inputs for the editor's side panel. The server renders a field whose value is an
// object or a list (playground/topologies/node_fields.py WIDGETS) as one text input holding its
// JSON; here that input is hidden and drawn as a kind selector, number inputs, a balancer's
// weights per target or a saga's list of steps, in people's words. Every
// edit writes the document's JSON (docs/topology.md) back into the hidden input, before the
// change reaches the panel's form, which posts it as before. A value these widgets cannot show
// exactly (an unknown distribution, an extra key) keeps its JSON box: nothing is rewritten that
// the user did not touch, so a document opened and saved unedited comes back the same.

import { gettext, interpolate } from "./i18n.js";

// The distributions of patterns/distributions.py and their parameters, in its key order.
const DISTRIBUTIONS = {
  constant: { label: gettext("Always the same"), params: [{ key: "ms", label: gettext("Time (ms)"), min: 0 }] },
  exponential: {
    label: gettext("Exponential: mostly short"),
    params: [{ key: "mean_ms", label: gettext("Mean (ms)"), min: 0 }],
  },
  uniform: {
    label: gettext("Uniform: between two times"),
    params: [
      { key: "min_ms", label: gettext("Shortest (ms)"), min: 0 },
      { key: "max_ms", label: gettext("Longest (ms)"), min: 0 },
    ],
  },
  lognormal: {
    label: gettext("Log-normal: a long tail"),
    params: [
      { key: "median_ms", label: gettext("Median (ms)"), min: 0 },
      { key: "sigma", label: gettext("Spread (sigma)"), min: 0, help: gettext("0.5 is moderate, 1 or more a long tail") },
    ],
  },
};

// An object field's parts; an empty part is left out and the engine's default (the placeholder) applies.
const RECORDS = {
  autoscale: [
    { key: "min", label: gettext("Fewest instances"), int: true, placeholder: "1", min: 1 },
    { key: "max", label: gettext("Most instances"), int: true, placeholder: "10", min: 1 },
    { key: "target_utilization", label: gettext("Target busy (%)"), percent: true, placeholder: "70", min: 0, max: 100,
      help: gettext("It adds instances above this and removes them below it") },
    { key: "interval_ms", label: gettext("Check every (ms)"), placeholder: "5000", min: 0 },
    { key: "startup_ms", label: gettext("Start-up time (ms)"), placeholder: "5000", min: 0 },
  ],
  health_check: [
    { key: "interval_ms", label: gettext("Check every (ms)"), placeholder: "1000", min: 0 },
    { key: "unhealthy_after", label: gettext("Down after this many failed checks"), int: true, placeholder: "2", min: 1 },
  ],
};

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    node.setAttribute(k, v === true ? "" : String(v));
  }
  node.append(...children);
  return node;
}

// The field's own label: the first in it (the widget's come after).
const fieldLabel = (field) => field.querySelector("label").textContent;

function parseRaw(text) {
  if (text.trim() === "") return { ok: true, value: undefined };
  try { return { ok: true, value: JSON.parse(text) }; } catch { return { ok: false }; }
}

const isNumber = (v) => typeof v === "number" && Number.isFinite(v);
const isPlainObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// Percent shown for a share: 0.7 -> "70" (rounded to hundredths of a percent, no float noise).
const percentText = (share) => String(Math.round(share * 10000) / 100);

// One number input with its label; `id` stays the same across panel redraws (focus comes back).
function numberInput(field, param, value) {
  const id = `f-${field}-${param.key}`;
  const input = h("input", {
    id, type: "number", step: param.int ? 1 : "any", inputmode: param.int ? "numeric" : "decimal",
    // No min or max: htmx would silently hold back a form the browser deems invalid, and the
    // server's check names the field and the limit (docs/topology.md) in words.
    placeholder: param.placeholder, "data-key": param.key,
    autocomplete: "off", "aria-describedby": param.help ? `${id}-help` : null,
  });
  if (value !== undefined) input.value = param.percent ? percentText(value) : String(value);
  const row = h("div", { class: "widget-part" }, h("label", { for: id }, param.label), input);
  if (param.help) row.append(h("span", { class: "help", id: `${id}-help` }, param.help));
  return row;
}

// The number an input holds, or an error naming it; `undefined` when empty and optional.
function readNumber(input, param, required) {
  if (input.validity.badInput || (input.value.trim() === "" && required)) {
    return { error: interpolate(gettext("%(part)s: enter a number"), { part: param.label }, true) };
  }
  if (input.value.trim() === "") return { value: undefined };
  const number = Number(input.value);
  if (!Number.isFinite(number)) return { error: interpolate(gettext("%(part)s: enter a number"), { part: param.label }, true) };
  if (param.int && !Number.isInteger(number)) {
    return { error: interpolate(gettext("%(part)s: enter a whole number"), { part: param.label }, true) };
  }
  return { value: param.percent ? number / 100 : number };
}

// Shows (or clears) the widget's own error, named by the field's label and the part.
function showError(field, box, message, input) {
  let list = box.querySelector(".widget-error");
  for (const i of box.querySelectorAll("[aria-invalid=true]")) i.removeAttribute("aria-invalid");
  if (!message) { list?.remove(); field.classList.remove("has-error"); return; }
  if (!list) { list = h("ul", { class: "errorlist widget-error", id: `${box.id}-error`, role: "alert" }); box.append(list); }
  const label = fieldLabel(field);
  list.replaceChildren(h("li", {}, `${label} — ${message}`));
  field.classList.add("has-error");
  if (input) { input.setAttribute("aria-invalid", "true"); input.setAttribute("aria-errormessage", list.id); }
}

// Every change inside a widget: compute the JSON first; a bad number stops the change there
// (the panel is not posted) and says what is wrong.
// `hold`: nothing to write yet (a new weight's target named, its number not yet typed): the
// change stops there, so the panel is not redrawn under the user's half-done row.
function onWidgetChange(box, compute) {
  box.addEventListener("change", (ev) => {
    const out = compute(ev.target);
    const field = box.closest(".field");
    if (out.hold) { ev.stopPropagation(); return; }
    if (out.error) {
      ev.stopPropagation();
      showError(field, box, out.error, out.input);
      return;
    }
    showError(field, box, "");
    box.raw.value = out.text;
  });
}

function durationWidget(field, raw) {
  const name = field.dataset.field;
  const parsed = parseRaw(raw.value);
  if (!parsed.ok) return null;
  let value = parsed.value;
  const bare = isNumber(value); // a bare number stays a bare number while "Always the same"
  if (bare) value = { dist: "constant", ms: value };
  if (value !== undefined) {
    const dist = isPlainObject(value) ? DISTRIBUTIONS[value.dist ?? "constant"] : null;
    if (!dist) return null;
    const keys = new Set(["dist", ...dist.params.map((p) => p.key)]);
    if (Object.keys(value).some((k) => !keys.has(k)) || dist.params.some((p) => !isNumber(value[p.key]))) return null;
  }
  const box = h("div", { class: "widget duration-widget", id: `w-${name}`, role: "group", "aria-labelledby": `f-${name}-legend` });
  const select = h("select", { id: `f-${name}`, "aria-describedby": `help-${name}` },
    h("option", { value: "" }, gettext("(default: always 10 ms)")));
  for (const [code, d] of Object.entries(DISTRIBUTIONS)) select.append(h("option", { value: code }, d.label));
  select.value = value === undefined ? "" : (value.dist ?? "constant");
  const params = h("div", { class: "widget-parts" });
  const drawParams = (current) => {
    params.replaceChildren();
    const d = DISTRIBUTIONS[select.value];
    if (d) for (const p of d.params) params.append(numberInput(name, p, current?.[p.key]));
  };
  drawParams(value);
  box.append(h("span", { id: `f-${name}-legend`, class: "sr-only" }, fieldLabel(field)), select, params);
  onWidgetChange(box, (target) => {
    const dist = select.value;
    if (target === select) {
      // Another distribution keeps about the same mean, so the node stays about as busy.
      const mean = value === undefined ? 10 : meanOf(value);
      value = dist ? seeded(dist, mean) : undefined;
      drawParams(value);
      return { text: value === undefined ? "" : textOf(value, bare) };
    }
    const next = { dist };
    for (const p of DISTRIBUTIONS[dist].params) {
      const input = params.querySelector(`[data-key="${p.key}"]`);
      const read = readNumber(input, p, true);
      if (read.error) return { error: read.error, input };
      next[p.key] = read.value;
    }
    value = next;
    return { text: textOf(value, bare) };
  });
  return box;
}

function textOf(value, bare) {
  return bare && value.dist === "constant" ? JSON.stringify(value.ms) : JSON.stringify(value);
}

function meanOf(v) {
  switch (v.dist ?? "constant") {
    case "exponential": return v.mean_ms;
    case "uniform": return (v.min_ms + v.max_ms) / 2;
    case "lognormal": return v.median_ms * Math.exp((v.sigma * v.sigma) / 2);
    default: return v.ms;
  }
}

function seeded(dist, mean) {
  const m = Math.max(1, Math.round(mean));
  switch (dist) {
    case "exponential": return { dist, mean_ms: m };
    case "uniform": return { dist, min_ms: Math.round(m / 2), max_ms: Math.round((m * 3) / 2) };
    case "lognormal": return { dist, median_ms: Math.max(1, Math.round(m / Math.exp(0.125))), sigma: 0.5 };
    default: return { dist: "constant", ms: m };
  }
}

function recordWidget(field, raw, parts, optional) {
  const name = field.dataset.field;
  const parsed = parseRaw(raw.value);
  if (!parsed.ok) return null;
  const value = parsed.value;
  if (value !== undefined && value !== null) {
    if (!isPlainObject(value)) return null;
    const keys = new Set(parts.map((p) => p.key));
    if (Object.entries(value).some(([k, v]) => !keys.has(k) || !isNumber(v))) return null;
  }
  const box = h("div", { class: "widget record-widget", id: `w-${name}`, role: "group", "aria-labelledby": `f-${name}-legend` });
  box.append(h("span", { id: `f-${name}-legend`, class: "sr-only" }, fieldLabel(field)));
  let toggle = null;
  const inputs = h("div", { class: "widget-parts" });
  for (const p of parts) inputs.append(numberInput(name, p, value?.[p.key]));
  if (optional) {
    toggle = h("input", { type: "checkbox", id: `f-${name}`, "aria-describedby": `help-${name}` });
    toggle.checked = value !== undefined && value !== null;
    box.append(h("label", { class: "widget-toggle" }, toggle, " ", gettext("On")));
    inputs.hidden = !toggle.checked;
  } else {
    // The field's label names the first part's input.
    inputs.querySelector("input").id = `f-${name}`;
    inputs.querySelector("label").setAttribute("for", `f-${name}`);
  }
  box.append(inputs);
  onWidgetChange(box, (target) => {
    if (toggle && target === toggle) inputs.hidden = !toggle.checked;
    if (toggle && !toggle.checked) return { text: "" };
    // Edit the stored object in place: keys keep their order, untouched ones their values.
    const next = isPlainObject(value) ? { ...value } : {};
    for (const p of parts) {
      const input = inputs.querySelector(`[data-key="${p.key}"]`);
      const read = readNumber(input, p, false);
      if (read.error) return { error: read.error, input };
      if (read.value === undefined) delete next[p.key];
      else next[p.key] = read.value;
    }
    if (!toggle && !Object.keys(next).length) return { text: "" };
    return { text: JSON.stringify(next) };
  });
  return box;
}

function listWidget(field, raw) {
  const name = field.dataset.field;
  const parsed = parseRaw(raw.value);
  if (!parsed.ok) return null;
  const value = parsed.value ?? [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v.includes(","))) return null;
  const input = h("input", { id: `f-${name}`, autocomplete: "off", "aria-describedby": `help-${name}`, placeholder: gettext("e.g. a, b") });
  input.value = value.join(", ");
  const box = h("div", { class: "widget list-widget", id: `w-${name}` }, input);
  onWidgetChange(box, () => {
    const items = input.value.split(",").map((s) => s.trim()).filter(Boolean);
    return { text: items.length ? JSON.stringify(items) : "" };
  });
  return box;
}

// The node ids a field's widget may offer (playground/topologies/node_fields.py widget_nodes):
// `targets`, the ends of the node's edges; `nodes`, every other node. null when the panel
// does not say (then the widget asks for a name in a text box).
function nodeList(field, name) {
  const text = field.dataset[name];
  if (text === undefined) return null;
  try {
    const list = JSON.parse(text);
    return Array.isArray(list) && list.every((v) => typeof v === "string") ? list : null;
  } catch { return null; }
}

// A balancer's weights: one number per target, drawn from its edges, plus the keys the
// document already has (an instance such as api#1, or a node no longer connected) and a row
// to add another. An empty number leaves the target out (it weighs 1).
function weightsWidget(field, raw) {
  const name = field.dataset.field;
  const parsed = parseRaw(raw.value);
  if (!parsed.ok) return null;
  const value = parsed.value;
  if (value !== undefined && !(isPlainObject(value) && Object.values(value).every(isNumber))) return null;
  const targets = nodeList(field, "targets") ?? [];
  const names = [...new Set([...targets, ...Object.keys(value ?? {})])];
  const box = h("div", { class: "widget weights-widget", id: `w-${name}`, role: "group", "aria-labelledby": `f-${name}-legend` });
  box.append(h("span", { id: `f-${name}-legend`, class: "sr-only" }, fieldLabel(field)));
  const rows = h("div", { class: "widget-parts weight-rows" });
  names.forEach((target, i) => {
    const param = { key: target, label: target, placeholder: "1" };
    const row = numberInput(name, param, value?.[target]);
    const input = row.querySelector("input");
    input.id = `f-${name}-${i}`;
    input.dataset.sub = `[${JSON.stringify(target)}]`;
    row.querySelector("label").setAttribute("for", input.id);
    row.classList.add("weight-row");
    if (!targets.includes(target)) {
      row.append(h("span", { class: "help" }, gettext("Not one of this balancer's targets")));
    }
    rows.append(row);
  });
  if (!names.length) rows.append(h("p", { class: "help" }, gettext("Connect the balancer to a service first: each target gets a weight here.")));
  const newName = h("input", { id: `f-${name}-new-name`, autocomplete: "off", placeholder: gettext("e.g. api#1") });
  const newWeight = h("input", { id: `f-${name}-new`, type: "number", step: "any", inputmode: "decimal", autocomplete: "off", placeholder: "1" });
  // One instance of a pool (api#1) may have a weight of its own: rarely wanted, so folded.
  const adding = h("details", { class: "weight-new" },
    h("summary", {}, gettext("Weigh one instance on its own")),
    h("div", { class: "widget-part" }, h("label", { for: newName.id }, gettext("Instance or target")), newName),
    h("div", { class: "widget-part" }, h("label", { for: newWeight.id }, gettext("Its weight")), newWeight));
  adding.open = !names.length;
  box.append(rows, adding);
  box.help = gettext("Each target's share of the requests, for weighted round robin: weights 3 and 1 send three requests in four to the first. Left empty, a target weighs 1.");
  // The field's label names the first number.
  field.querySelector("label").setAttribute("for", rows.querySelector("input")?.id ?? newName.id);
  onWidgetChange(box, (target) => {
    // Edit the stored object in place: keys keep their order, untouched ones their values.
    const next = isPlainObject(value) ? { ...value } : {};
    if (target === newName || target === newWeight) {
      const key = newName.value.trim();
      const read = readNumber(newWeight, { label: gettext("Its weight") }, false);
      if (read.error) return { error: read.error, input: newWeight };
      if (!key || read.value === undefined) return { hold: true };
      next[key] = read.value;
    } else {
      const key = target.dataset.key;
      const read = readNumber(target, { label: key }, false);
      if (read.error) return { error: read.error, input: target };
      if (read.value === undefined) delete next[key];
      else next[key] = read.value;
    }
    return { text: Object.keys(next).length ? JSON.stringify(next) : "" };
  });
  return box;
}

// An orchestrator's saga (patterns/schema.py CALL_STEP): the number parts of a call step.
const STEP_NUMBERS = [
  { key: "retries", label: gettext("Retries"), int: true, placeholder: "0" },
  { key: "backoff_ms", label: gettext("Wait before a retry (ms)"), placeholder: "100" },
  { key: "timeout_ms", label: gettext("Time limit per try (ms)"), placeholder: gettext("none"), nullable: true },
];
const STEP_KEYS = new Set(["call", "compensate", ...STEP_NUMBERS.map((p) => p.key)]);

// A call step the widget shows exactly: known keys only, each of the type it edits.
function showableCall(step) {
  if (!isPlainObject(step) || typeof step.call !== "string") return false;
  if (Object.keys(step).some((k) => !STEP_KEYS.has(k))) return false;
  if (step.compensate !== undefined && step.compensate !== null && typeof step.compensate !== "string") return false;
  return STEP_NUMBERS.every((p) => step[p.key] === undefined || isNumber(step[p.key]) || (p.nullable && step[p.key] === null));
}

const showableStep = (step) => showableCall(step)
  || (isPlainObject(step) && Object.keys(step).length === 1 && Array.isArray(step.parallel)
    && step.parallel.length > 0 && step.parallel.every(showableCall));

function stepsWidget(field, raw) {
  const name = field.dataset.field;
  const parsed = parseRaw(raw.value);
  if (!parsed.ok) return null;
  // Edited in place: a step's keys keep their order, untouched ones their values (a null too).
  const steps = parsed.value ?? [];
  if (!Array.isArray(steps) || !steps.every(showableStep)) return null;
  const targets = nodeList(field, "targets");
  const others = (nodeList(field, "nodes") ?? []).filter((id) => !targets?.includes(id));
  const box = h("div", { class: "widget steps-widget", id: `w-${name}`, role: "group", "aria-labelledby": `f-${name}-legend` });
  const list = h("ol", { class: "saga-steps" });
  const adders = h("div", { class: "step-adders" });
  box.append(h("span", { id: `f-${name}-legend`, class: "sr-only" }, fieldLabel(field)), list, adders);
  box.help = gettext("The calls of the saga, one step after another. A call that fails is tried again (retries); when a step fails for good, the compensating calls of the steps already done run, last first.");

  // The node a new step calls: the first connected node no step calls (or compensates with) yet.
  const called = () => new Set(steps.flatMap((s) => (s.parallel ?? [s]).flatMap((c) => [c.call, c.compensate])));
  const nextCall = () => {
    const used = called();
    return targets?.find((id) => !used.has(id)) ?? targets?.[0] ?? "";
  };

  // A node chooser: a select of the orchestrator's connected nodes (then the others, which
  // need an edge first) when the panel knows them, else a text box.
  function nodeInput(id, current, optional, attrs) {
    if (!targets) {
      const input = h("input", { id, autocomplete: "off", placeholder: optional ? gettext("none") : gettext("a node id"), ...attrs });
      input.value = current ?? "";
      return input;
    }
    const select = h("select", { id, ...attrs });
    if (optional) select.append(h("option", { value: "" }, gettext("(none)")));
    else if (!current) select.append(h("option", { value: "" }, gettext("(choose a node)")));
    const known = new Set([...targets, ...others]);
    if (current && !known.has(current)) select.append(h("option", { value: current }, interpolate(gettext("%(id)s (no such node)"), { id: current }, true)));
    for (const id of targets) select.append(h("option", { value: id }, id));
    if (others.length) {
      const group = h("optgroup", { label: gettext("Not connected: draw an edge first") });
      for (const id of others) group.append(h("option", { value: id }, id));
      select.append(group);
    }
    select.value = current ?? "";
    return select;
  }

  // One call step's inputs; `path` names it in ids ("2", or "2-1" for a parallel branch),
  // `sub` in the server's errors ("[2]", "[2].parallel[1]"), `title` in words.
  function callParts(step, path, sub, title) {
    const part = (what) => `${title}: ${what}`;
    const callId = `f-${name}-${path}-call`;
    const parts = h("div", { class: "step-parts" });
    parts.append(h("div", { class: "widget-part step-call" },
      h("label", { for: callId }, gettext("Calls")),
      nodeInput(callId, step.call, false, { "data-path": path, "data-key": "call", "data-sub": `${sub}.call`, "data-part": part(gettext("Calls")) })));
    const numbers = h("div", { class: "step-numbers" });
    for (const p of STEP_NUMBERS) {
      // The wait between retries matters once there are retries: shown then, or when set.
      if (p.key === "backoff_ms" && !step.retries && step.backoff_ms === undefined) continue;
      const row = numberInput(`${name}-${path}`, p, step[p.key] ?? undefined);
      const input = row.querySelector("input");
      Object.assign(input.dataset, { path, sub: `${sub}.${p.key}`, part: part(p.label) });
      row.classList.add("step-number");
      numbers.append(row);
    }
    parts.append(numbers);
    const undoId = `f-${name}-${path}-compensate`;
    parts.append(h("div", { class: "widget-part step-undo" },
      h("label", { for: undoId }, gettext("Compensating call")),
      nodeInput(undoId, step.compensate, true, { "data-path": path, "data-key": "compensate", "data-sub": `${sub}.compensate`, "data-part": part(gettext("Compensating call")) })));
    return parts;
  }

  const button = (id, action, text, label, disabled = false) =>
    h("button", { type: "button", id, class: "step-button", "data-action": action, "aria-label": label, title: label, disabled }, text);

  function draw() {
    list.replaceChildren();
    steps.forEach((step, i) => {
      const n = i + 1;
      const title = interpolate(gettext("Step %(n)s"), { n }, true);
      const head = h("div", { class: "step-head" },
        h("span", { class: "step-title", id: `f-${name}-${i}-title` }, title),
        h("span", { class: "step-buttons" },
          button(`f-${name}-${i}-up`, `up:${i}`, "↑", interpolate(gettext("Move step %(n)s up"), { n }, true), i === 0),
          button(`f-${name}-${i}-down`, `down:${i}`, "↓", interpolate(gettext("Move step %(n)s down"), { n }, true), i === steps.length - 1),
          button(`f-${name}-${i}-remove`, `remove:${i}`, "✕", interpolate(gettext("Remove step %(n)s"), { n }, true))));
      const item = h("li", { class: "saga-step", "aria-labelledby": `f-${name}-${i}-title` }, head);
      if (step.parallel) {
        head.querySelector(".step-title").append(" · ", gettext("in parallel"));
        const group = h("div", { class: "step-parallel", role: "group", "aria-labelledby": `f-${name}-${i}-title` },
          h("p", { class: "help" }, gettext("These calls run at once; the saga goes on when all of them have answered.")));
        step.parallel.forEach((branch, j) => {
          const branchTitle = interpolate(gettext("Step %(n)s, branch %(b)s"), { n, b: j + 1 }, true);
          group.append(h("div", { class: "step-branch", role: "group", "aria-label": branchTitle },
            h("div", { class: "step-head" },
              h("span", { class: "step-title" }, interpolate(gettext("Branch %(b)s"), { b: j + 1 }, true)),
              button(`f-${name}-${i}-${j}-remove`, `remove:${i}:${j}`, "✕", interpolate(gettext("Remove branch %(b)s of step %(n)s"), { n, b: j + 1 }, true))),
            callParts(branch, `${i}-${j}`, `[${i}].parallel[${j}]`, branchTitle)));
        });
        group.append(h("button", { type: "button", id: `f-${name}-${i}-add`, class: "step-add", "data-action": `branch:${i}` },
          "+ ", gettext("Add a branch")));
        item.append(group);
      } else {
        item.append(callParts(step, String(i), `[${i}]`, title));
      }
      list.append(item);
    });
    adders.replaceChildren(
      h("button", { type: "button", id: `f-${name}-add`, class: "step-add", "data-action": "add" }, "+ ", gettext("Add a step")),
      h("button", { type: "button", id: `f-${name}-add-parallel`, class: "step-add", "data-action": "parallel" }, "+ ", gettext("Add calls in parallel")));
    if (!steps.length) list.append(h("li", { class: "help" }, gettext("No step yet: a saga needs at least one.")));
    if (targets && !targets.length) {
      list.append(h("li", { class: "help" }, gettext("Draw an edge from the orchestrator to each node it calls: they are offered here first.")));
    }
    // The field's label names the first input.
    field.querySelector("label").setAttribute("for", box.querySelector("select, input, button:not([disabled])").id);
  }
  draw();

  // Buttons change the list: redrawn here at once, the keyboard on the element that
  // follows the step it moved, then posted as any change is.
  box.addEventListener("click", (ev) => {
    const action = ev.target.closest("button[data-action]")?.dataset.action;
    if (!action) return;
    const [verb, a, b] = action.split(":");
    const i = Number(a), j = Number(b);
    let focus = `f-${name}-add`;
    if (verb === "add") { steps.push({ call: nextCall() }); focus = `f-${name}-${steps.length - 1}-call`; }
    else if (verb === "parallel") {
      const first = nextCall();
      steps.push({ parallel: [{ call: first }] });
      steps.at(-1).parallel.push({ call: nextCall() });
      focus = `f-${name}-${steps.length - 1}-0-call`;
    } else if (verb === "branch") {
      steps[i].parallel.push({ call: nextCall() });
      focus = `f-${name}-${i}-${steps[i].parallel.length - 1}-call`;
    } else if (verb === "up" || verb === "down") {
      const to = verb === "up" ? i - 1 : i + 1;
      [steps[i], steps[to]] = [steps[to], steps[i]];
      const edge = verb === "up" ? to === 0 : to === steps.length - 1;
      focus = `f-${name}-${to}-${edge ? (verb === "up" ? "down" : "up") : verb}`;
    } else if (verb === "remove" && b === undefined) {
      steps.splice(i, 1);
      if (steps.length) focus = `f-${name}-${Math.min(i, steps.length - 1)}-remove`;
    } else if (verb === "remove") {
      steps[i].parallel.splice(j, 1);
      if (!steps[i].parallel.length) steps.splice(i, 1);
      else focus = `f-${name}-${i}-add`;
    }
    draw();
    box.querySelector(`#${CSS.escape(focus)}`)?.focus();
    // A new step with no node to call yet (none connected) waits for its node to be chosen:
    // posted now, it would only be refused as calling no node.
    const added = verb === "add" ? steps.at(-1) : verb === "branch" ? steps[i].parallel.at(-1) : null;
    if (added && !added.call) return;
    box.dispatchEvent(new Event("change", { bubbles: true }));
  });

  onWidgetChange(box, (target) => {
    const path = target.dataset?.path;
    const key = target.dataset?.key;
    if (path !== undefined && key) {
      const [i, j] = path.split("-").map(Number);
      const step = Number.isNaN(j) || j === undefined ? steps[i] : steps[i].parallel[j];
      if (key === "call" || key === "compensate") {
        const id = target.value.trim();
        if (id) step[key] = id;
        else if (key === "call") step.call = "";
        else delete step.compensate;
      } else {
        const param = { ...STEP_NUMBERS.find((p) => p.key === key), label: target.dataset.part };
        const read = readNumber(target, param, false);
        if (read.error) return { error: read.error, input: target };
        if (read.value === undefined) delete step[key];
        else step[key] = read.value;
      }
    }
    return { text: JSON.stringify(steps) };
  });
  return box;
}

const BUILDERS = {
  duration: (field, raw) => durationWidget(field, raw),
  autoscale: (field, raw) => recordWidget(field, raw, RECORDS.autoscale, true),
  health_check: (field, raw) => recordWidget(field, raw, RECORDS.health_check, false),
  list: (field, raw) => listWidget(field, raw),
  weights: (field, raw) => weightsWidget(field, raw),
  steps: (field, raw) => stepsWidget(field, raw),
};

// The server's errors about one part of a value ("mean_ms" of a duration) name that part's
// words too, and mark its input.
function nameParts(field, box) {
  for (const li of field.querySelectorAll(".errorlist li[data-sub]")) {
    const sub = CSS.escape(li.dataset.sub);
    const input = box.querySelector(`[data-sub="${sub}"]`) ?? box.querySelector(`[data-key="${sub}"]`);
    if (!input) continue;
    const label = box.querySelector(`label[for="${CSS.escape(input.id)}"]`);
    const where = li.querySelector(".err-where");
    const words = input.dataset.part ?? label?.textContent;
    if (words && where) where.textContent = `${where.textContent} — ${words}`;
    input.setAttribute("aria-invalid", "true");
  }
}

// Draws the widgets of a freshly rendered panel. `focusId`: the element that had the keyboard
// before the panel was redrawn, given it back.
export function enhanceFields(root, focusId = null) {
  for (const field of root.querySelectorAll(".field[data-widget]")) {
    const name = field.dataset.field;
    const raw = field.querySelector(`[name="f:${CSS.escape(name)}"]`);
    const build = BUILDERS[field.dataset.widget];
    if (!raw || !build) continue;
    const box = build(field, raw);
    if (!box) continue; // not something the widget can show exactly: the JSON box stays
    raw.id = `f-${name}-json`;
    raw.type = "hidden";
    box.raw = raw;
    raw.after(box);
    // The widget's own words replace the help's JSON example (kept for the JSON box).
    const help = box.help && field.querySelector(`#help-${CSS.escape(name)}`);
    if (help) help.textContent = box.help;
    nameParts(field, box);
  }
  if (focusId) root.querySelector(`#${CSS.escape(focusId)}`)?.focus({ preventScroll: true });
}
