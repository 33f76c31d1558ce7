// The library page: a drawing of each scenario, a filter by pattern, and "Watch it run", which
// starts a run of the built-in scenario and opens its run view (or says, right there, why not).

import { startScenarioRun } from "./api.js";
import { gettext } from "./i18n.js";
import { startOrExplain } from "./runrefusal.js";
import { drawTopology } from "./thumbnail.js";

const drawings = JSON.parse(document.getElementById("scenario-drawings")?.textContent || "{}");
for (const svg of document.querySelectorAll("svg.thumb[data-slug]")) {
  const doc = drawings[svg.dataset.slug];
  if (doc && doc.nodes.length) drawTopology(svg, doc);
}

const filters = document.querySelectorAll(".pattern-filter [data-filter]");
for (const button of filters) {
  button.addEventListener("click", () => {
    const want = button.dataset.filter;
    for (const b of filters) b.setAttribute("aria-pressed", String(b === button));
    for (const section of document.querySelectorAll("section.pattern[data-pattern]")) {
      section.hidden = want !== "" && section.dataset.pattern !== want;
    }
  });
}

for (const button of document.querySelectorAll(".js-watch")) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    button.textContent = gettext("Starting…");
    await startOrExplain(() => startScenarioRun(button.dataset.slug, { speed: 1 }), button.parentElement, () => {
      button.disabled = false;
      button.textContent = `▶ ${gettext("Watch it run")}`;
    });
  });
}
