// A real graph layout (dagre, pinned in package.json, served from static/vendor) for the
// editor's Auto layout and for the library's drawings: layered, no two boxes overlapping.

import dagre from "../vendor/dagre/dagre.esm.js";

// Centres of each node's box, in world units from (0, 0) at the top left.
// sizeOf(node) -> {width, height}; direction "LR" (left to right) or "TB" (top to bottom).
export function graphLayout(doc, sizeOf, { direction = "LR", nodesep = 36, ranksep = 60 } = {}) {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: direction, nodesep, ranksep, edgesep: 16, marginx: 0, marginy: 0 });
  g.setDefaultEdgeLabel(() => ({}));
  const nodes = (doc.nodes || []).filter((n) => n && typeof n.id === "string");
  for (const n of nodes) {
    const { width, height } = sizeOf(n);
    g.setNode(n.id, { width, height });
  }
  (doc.edges || []).forEach((e, i) => {
    if (e && e.from !== e.to && g.hasNode(e.from) && g.hasNode(e.to)) g.setEdge(e.from, e.to, {}, String(i));
  });
  dagre.layout(g);
  const pos = new Map();
  for (const n of nodes) {
    const p = g.node(n.id);
    pos.set(n.id, { x: p.x, y: p.y });
  }
  return pos;
}

// Left to right, unless top to bottom lets the whole fit larger into a width × height frame
// (a long pipeline on a phone held upright, a wide fan-out on a laptop): it stays readable.
// Every node has the same box; the positions are centres, from (0, 0).
export function fittingLayout(doc, box, width, height) {
  const size = () => box;
  const scale = (pos) => {
    const xs = [...pos.values()].map((p) => p.x), ys = [...pos.values()].map((p) => p.y);
    const w = Math.max(0, ...xs) - Math.min(0, ...xs) + box.width, h = Math.max(0, ...ys) - Math.min(0, ...ys) + box.height;
    return Math.min((width || 800) / w, (height || 600) / h);
  };
  const across = graphLayout(doc, size, { direction: "LR" });
  const down = graphLayout(doc, size, { direction: "TB" });
  return scale(down) > scale(across) * 1.15 ? down : across;
}

// True when two nodes' boxes (centred on x, y) touch: the document's own positions are unusable.
export function overlapping(nodes, width, height) {
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      if (Math.abs(nodes[i].x - nodes[j].x) < width && Math.abs(nodes[i].y - nodes[j].y) < height) return true;
    }
  }
  return false;
}

// Where the line from a's centre towards b's leaves a's box (width × height, centred on a).
export function boxEdgePoint(a, b, width, height) {
  const dx = b.x - a.x, dy = b.y - a.y;
  if (!dx && !dy) return [a.x, a.y];
  const s = Math.min(dx ? width / 2 / Math.abs(dx) : Infinity, dy ? height / 2 / Math.abs(dy) : Infinity);
  return [a.x + dx * s, a.y + dy * s];
}
