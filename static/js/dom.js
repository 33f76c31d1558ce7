// The one way a value reaches the page as markup. Everything from a document, an event, a run or
// the server (ids, labels, zones, names, reasons, messages) goes in as text: textContent,
// setAttribute, dataset, or DOM building; where a module builds a table as a string, each value
// goes through escapeHtml here (quotes too, so it is safe inside any quoted attribute).
// No other escaper: tests/playground/test_csp.py checks that none comes back.

const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

// An HTML element with attributes (set as attributes, never parsed) and children (strings become
// text nodes). h("button", { class: "danger", "data-fault": json }, "Crash ", name)
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : String(v));
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

// A refusal in `box`: the API's {"errors": [{path, message}]} as a list, each problem with the
// place it names, or an Error's own message; the box is shown.
export function showProblems(box, error) {
  const errors = error.errors && error.errors.length ? error.errors : [{ path: "", message: error.message }];
  box.replaceChildren(h("ul", {}, ...errors.map((e) => h("li", {}, e.path ? `${e.path}: ${e.message}` : e.message))));
  box.hidden = false;
}
