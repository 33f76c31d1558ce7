// A small drawing of a topology, laid out as the editor lays it out (graphlayout.js): boxes
// coloured by kind with their glyph, arrows for edges. Names go in as text only.

import { boxEdgePoint, fittingLayout } from "./graphlayout.js";
import { KIND_STYLE } from "./layout.js";

const SVG = "http://www.w3.org/2000/svg";
const BOX = { width: 150, height: 58 }; // the editor's node box, so the drawing matches it

function el(name, attrs, parent) {
  const n = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  parent.appendChild(n);
  return n;
}

export function drawTopology(svg, doc) {
  const nodes = doc.nodes || [], edges = doc.edges || [];
  const pos = fittingLayout(doc, BOX, 320, 150);
  const pad = 12;
  const xs = [...pos.values()].map((p) => p.x), ys = [...pos.values()].map((p) => p.y);
  const minX = Math.min(...xs) - BOX.width / 2 - pad, minY = Math.min(...ys) - BOX.height / 2 - pad;
  const w = Math.max(...xs) - Math.min(...xs) + BOX.width + 2 * pad;
  const h = Math.max(...ys) - Math.min(...ys) + BOX.height + 2 * pad;
  svg.setAttribute("viewBox", `${minX} ${minY} ${w} ${h}`);
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `Drawing of the topology: ${nodes.length} nodes, ${edges.length} connections`);
  const defs = el("defs", {}, svg);
  const marker = el("marker", { id: `arrow-${svg.dataset.slug}`, viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "5", markerHeight: "5", orient: "auto" }, defs);
  el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#555" }, marker);
  for (const e of edges) {
    const a = pos.get(e.from), b = pos.get(e.to);
    if (!a || !b || e.from === e.to) continue;
    const [x1, y1] = boxEdgePoint(a, b, BOX.width, BOX.height), [x2, y2] = boxEdgePoint(b, a, BOX.width, BOX.height);
    el("line", { x1, y1, x2, y2, class: "thumb-edge", "marker-end": `url(#arrow-${svg.dataset.slug})` }, svg);
  }
  for (const n of nodes) {
    const p = pos.get(n.id);
    if (!p) continue;
    const style = KIND_STYLE[n.kind] || KIND_STYLE.service;
    const g = el("g", { class: "thumb-node", "data-node": n.id }, svg);
    el("title", {}, g).textContent = `${n.label || n.id} (${style.short})`;
    el("rect", { x: p.x - BOX.width / 2, y: p.y - BOX.height / 2, width: BOX.width, height: BOX.height, rx: 12, fill: style.fill, stroke: style.stroke, "stroke-width": 5 }, g);
    el("text", { x: p.x, y: p.y + 14, "text-anchor": "middle", class: "thumb-glyph" }, g).textContent = style.glyph;
  }
}

