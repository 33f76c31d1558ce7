// Structured inputs for the editor's side panel. The server renders a field whose value is an
// object or a list (playground/node_fields.py WIDGETS) as one text input holding its JSON; here
// that input is hidden and drawn as a kind selector and number inputs in people's words. Every
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
function onWidgetChange(box, compute) {
  box.addEventListener("change", (ev) => {
    const out = compute(ev.target);
    const field = box.closest(".field");
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

const BUILDERS = {
  duration: (field, raw) => durationWidget(field, raw),
  autoscale: (field, raw) => recordWidget(field, raw, RECORDS.autoscale, true),
  health_check: (field, raw) => recordWidget(field, raw, RECORDS.health_check, false),
  list: (field, raw) => listWidget(field, raw),
};

// The server's errors about one part of a value ("mean_ms" of a duration) name that part's
// words too, and mark its input.
function nameParts(field, box) {
  for (const li of field.querySelectorAll(".errorlist li[data-sub]")) {
    const input = box.querySelector(`[data-key="${CSS.escape(li.dataset.sub)}"]`);
    if (!input) continue;
    const label = box.querySelector(`label[for="${CSS.escape(input.id)}"]`);
    const where = li.querySelector(".err-where");
    if (label && where) where.textContent = `${where.textContent} — ${label.textContent}`;
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
    nameParts(field, box);
  }
  if (focusId) root.querySelector(`#${CSS.escape(focusId)}`)?.focus({ preventScroll: true });
}
