// Setting up an A/B test (docs/experiments.md): variants as rows of node field changes, sent
// to POST /api/ab; then the results page. The first variant is the baseline.

import { request } from "./api.js";
import { h } from "./dom.js";
import { gettext, interpolate } from "./i18n.js";

const boot = JSON.parse(document.getElementById("ab-boot").textContent);
const $ = (id) => document.getElementById(id);
const nodes = boot.nodes;
const LETTERS = "ABCDEF";
const MAX_VARIANTS = 6;

// A value as typed: JSON when it reads as JSON (2, null, {"dist": ...}), else the text itself.
function parse(text) {
  const raw = text.trim();
  try { return JSON.parse(raw); } catch { return raw; }
}

function shown(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

// A sensible first change: one more instance of the first pool, or the next algorithm.
function suggestion() {
  const pool = nodes.find((n) => "instances" in n.fields);
  if (pool) return { node: pool.id, field: "instances", value: pool.fields.instances + 1 };
  const lb = nodes.find((n) => "algorithm" in n.fields);
  if (lb) return { node: lb.id, field: "algorithm", value: lb.fields.algorithm === "least_connections" ? "round_robin" : "least_connections" };
  const any = nodes.find((n) => Object.keys(n.fields).length);
  return any ? { node: any.id, field: Object.keys(any.fields)[0], value: Object.values(any.fields)[0] } : null;
}

function changeRow(change) {
  const node = h("select", { class: "ab-node", "aria-label": gettext("Node") }, nodes.filter((n) => Object.keys(n.fields).length).map((n) => h("option", { value: n.id }, n.id)));
  const field = h("select", { class: "ab-field", "aria-label": gettext("Field") });
  const value = h("input", { class: "ab-value", size: 24, "aria-label": gettext("Value") });
  const fillFields = () => {
    const n = nodes.find((x) => x.id === node.value);
    field.replaceChildren(...Object.keys(n ? n.fields : {}).map((f) => h("option", { value: f }, f)));
  };
  const fillValue = () => {
    const n = nodes.find((x) => x.id === node.value);
    if (n && field.value in n.fields) value.value = shown(n.fields[field.value]);
  };
  node.addEventListener("change", () => { fillFields(); fillValue(); });
  field.addEventListener("change", fillValue);
  const remove = h("button", { type: "button", class: "small" }, "×");
  const row = h("p", { class: "ab-change" }, node, " . ", field, " = ", value, " ", remove);
  remove.addEventListener("click", () => row.remove());
  if (change) node.value = change.node;
  fillFields();
  if (change) { field.value = change.field; value.value = shown(change.value); } else fillValue();
  return row;
}

function variantBox(index, withChange) {
  const name = h("input", { class: "ab-variant-name", size: 24, maxlength: 60, value: LETTERS[index] });
  const changes = h("div", { class: "ab-changes" });
  const add = h("button", { type: "button", class: "small ab-add-change" }, `+ ${gettext("Add a change")}`);
  add.addEventListener("click", () => changes.append(changeRow(null)));
  const legend = h("legend", {}, index === 0 ? gettext("Baseline (as the topology is, unless changed here)") : interpolate(gettext("Variant %(letter)s"), { letter: LETTERS[index] }, true));
  const box = h("fieldset", { class: "ab-variant" }, legend, h("label", {}, `${gettext("Name")} `, name), changes, add);
  if (withChange) changes.append(changeRow(suggestion()));
  return box;
}

function variants() {
  return [...document.querySelectorAll(".ab-variant")].map((box) => ({
    name: box.querySelector(".ab-variant-name").value.trim(),
    set: [...box.querySelectorAll(".ab-change")].map((row) => ({
      node: row.querySelector(".ab-node").value,
      field: row.querySelector(".ab-field").value,
      value: parse(row.querySelector(".ab-value").value),
    })),
  }));
}

$("ab-variants").append(variantBox(0, false), variantBox(1, true));
$("ab-name").value = boot.name;
$("ab-add-variant").addEventListener("click", () => {
  const count = document.querySelectorAll(".ab-variant").length;
  if (count < MAX_VARIANTS) $("ab-variants").append(variantBox(count, true));
});
$("ab-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("ab-error").hidden = true;
  $("ab-submit").disabled = true;
  try {
    const test = await request("POST", "/api/ab", { ...boot.source, name: $("ab-name").value, variants: variants(), seeds: Number.parseInt($("ab-seeds").value, 10) });
    window.location.assign(test.url);
  } catch (e) {
    $("ab-error").textContent = e.message;
    $("ab-error").hidden = false;
    $("ab-submit").disabled = false;
  }
});
