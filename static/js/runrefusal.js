// A run refused because the caller already has as many going as they may (a visitor: one):
// said next to the button that was pressed, with the way out — open the running run, or
// cancel it and start this one. The API's refusal is unchanged ({"errors": [{path: "runs"}]});
// the running runs come from GET /api/runs, which lists a visitor's session's runs too.

import { ApiError, getRun, request } from "./api.js";
import { gettext, interpolate, word } from "./i18n.js";

const ACTIVE = new Set(["queued", "running", "paused"]);
const TERMINAL = new Set(["finished", "failed", "cancelled"]);

export const isConcurrencyRefusal = (error) =>
  error instanceof ApiError && error.status === 400 && error.errors.some((e) => e.path === "runs");

function node(tag, attrs = {}, text = "") {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  if (text) n.textContent = text;
  return n;
}

// What to call a run in the box: its scenario's name when the page shows it.
function runName(run) {
  const card = run.scenario && document.querySelector(`[data-scenario="${CSS.escape(run.scenario)}"] h3`);
  if (card) return `“${card.textContent.trim()}”`;
  return run.scenario ? `“${run.scenario}”` : interpolate(gettext("run %(id)s"), { id: run.id }, true);
}

async function cancelAndWait(run) {
  await request("POST", `/api/runs/${run.id}/control`, { action: "cancel" });
  // The runner applies a cancel within a tick; the slot is free once the run has ended.
  for (let i = 0; i < 60; i++) {
    const now = await getRun(run.id);
    if (TERMINAL.has(now.status)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`run ${run.id} did not stop in 15 s`);
}

// start() -> Promise<run>; on success the page opens the new run. `anchor` is the element the
// message goes right after (inside the same card or toolbar, in view).
export async function startOrExplain(start, anchor, onFail = () => {}) {
  const old = anchor.parentElement.querySelector(":scope > .refusal");
  if (old) old.remove();
  try {
    const run = await start();
    location.href = `/runs/${run.id}/`;
    return;
  } catch (error) {
    onFail();
    const box = node("div", { class: "refusal", role: "alert" });
    // Explained first, shown once: no bare message that changes under the reader's eyes.
    await explain(box, error, start);
    anchor.after(box);
    box.scrollIntoView({ block: "nearest" });
    box.querySelector("button, a")?.focus({ preventScroll: true });
  }
}

async function explain(box, error, start) {
  box.replaceChildren(node("p", { class: "refusal-why" }, interpolate(gettext("Could not start the run: %(error)s"), { error: error.message }, true)));
  if (!isConcurrencyRefusal(error)) return;
  let running = [];
  try { running = (await request("GET", "/api/runs?limit=20")).filter((r) => ACTIVE.has(r.status)); } catch { return; }
  if (!running.length) return;
  box.replaceChildren(node("p", { class: "refusal-why" },
    running.length === 1 ? gettext("You already have a run going, and one at a time is the limit here:") : gettext("You already have as many runs going as the limit allows:")));
  const list = node("ul", { class: "refusal-runs" });
  for (const run of running.slice(0, 5)) {
    const li = node("li");
    const since = run.created ? interpolate(gettext(", started %(time)s"), { time: new Date(run.created).toLocaleTimeString(document.documentElement.lang || undefined) }, true) : "";
    li.append(node("span", {}, `${runName(run)}, ${word(run.status)}${since}. `));
    li.append(node("a", { class: "button", href: `/runs/${run.id}/`, "data-open-run": run.id }, gettext("Open it")));
    const cancel = node("button", { type: "button", class: "primary", "data-cancel-run": run.id }, gettext("Cancel it and start this one"));
    cancel.addEventListener("click", async () => {
      for (const b of box.querySelectorAll("button")) b.disabled = true;
      cancel.textContent = gettext("Cancelling…");
      try {
        await cancelAndWait(run);
        cancel.textContent = gettext("Starting…");
        const started = await start();
        location.href = `/runs/${started.id}/`;
      } catch (again) {
        await explain(box, again, start);
      }
    });
    li.append(" ", cancel);
    list.append(li);
  }
  box.append(list);
}
