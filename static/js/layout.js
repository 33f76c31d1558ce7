// Where nodes go: the document's x/y when every node has them, otherwise layers left to right.

// The node kinds as the engine's registry declares them (patterns/nodes/, each kind's module):
// every page carries them in <script type="application/json" id="node-kinds"> (templates/base.html,
// docs/run-view.md "Node kinds"), with their names in the page's language. Read here, once, so no
// script keeps a list of kinds of its own.
const KINDS = JSON.parse(document.getElementById("node-kinds")?.textContent || "{}");

export const KIND_STYLE = Object.fromEntries(Object.entries(KINDS).map(
  ([kind, k]) => [kind, { fill: k.fill, stroke: k.stroke, glyph: k.icon, short: k.label }]));

const kindsThat = (role) => new Set(Object.keys(KINDS).filter((kind) => KINDS[kind][role]));
// A pool of instances named NODE#INDEX.
export const POOL_KINDS = kindsThat("pool");
// A pool the run view's controls may resize (Simulation.scale).
export const SCALABLE_KINDS = kindsThat("scalable");
// A topic or a queue.
export const BROKER_KINDS = kindsThat("broker");
// A pipeline stage (patterns/pipeline.py).
export const STAGE_KINDS = kindsThat("stage");
// Edges among these carry items down a pipe (source, filter, sink).
export const PIPE_KINDS = kindsThat("pipe");

export function instanceCount(node) {
  if (node.kind === "orchestrator") return Math.max(1, node.replicas || 1);
  if (!POOL_KINDS.has(node.kind)) return 0;
  if (node.kind === "function") return Math.max(0, node.max_instances || node.instances || 1);
  const autoscaleMax = node.autoscale && node.autoscale.max;
  return Math.max(1, node.instances || 1, autoscaleMax ? Math.min(autoscaleMax, 40) : 0);
}

const CELL_W = 40, CELL_H = 34, PER_ROW = 5;

// Size of a node's box in the run view: room for a grid of instance cells.
export function nodeSize(node, withInstances = true) {
  const n = withInstances ? instanceCount(node) : 0;
  const cols = Math.min(PER_ROW, Math.max(n, 1));
  const rows = Math.ceil(n / PER_ROW);
  const width = Math.max(180, n ? cols * (CELL_W + 4) + 14 : 180);
  const height = 58 + (rows ? rows * (CELL_H + 4) + 6 : 0);
  return { width, height };
}

export function instanceCells(node, box) {
  const n = instanceCount(node);
  const cells = [];
  const cols = Math.min(PER_ROW, Math.max(n, 1));
  const gridW = cols * (CELL_W + 4) - 4;
  for (let i = 0; i < n; i++) {
    const row = Math.floor(i / PER_ROW), col = i % PER_ROW;
    cells.push({
      name: `${node.id}#${i}`,
      index: i,
      x: box.x - gridW / 2 + col * (CELL_W + 4),
      y: box.y - box.height / 2 + 52 + row * (CELL_H + 4),
      w: CELL_W,
      h: CELL_H,
    });
  }
  return cells;
}

// Longest-path layers from the nodes nothing points at; cycles are cut where first met.
export function layers(doc) {
  const nodes = doc.nodes || [];
  const ids = nodes.map((n) => n.id);
  const incoming = new Map(ids.map((id) => [id, []]));
  const outgoing = new Map(ids.map((id) => [id, []]));
  for (const e of doc.edges || []) {
    if (incoming.has(e.to) && outgoing.has(e.from) && e.from !== e.to) {
      incoming.get(e.to).push(e.from);
      outgoing.get(e.from).push(e.to);
    }
  }
  const layer = new Map();
  const visiting = new Set();
  const depth = (id) => {
    if (layer.has(id)) return layer.get(id);
    if (visiting.has(id)) return 0;
    visiting.add(id);
    let d = 0;
    for (const p of incoming.get(id)) d = Math.max(d, depth(p) + 1);
    visiting.delete(id);
    layer.set(id, d);
    return d;
  };
  ids.forEach(depth);
  return { layer, incoming, outgoing };
}

// Positions (centres) in world units. sizeOf(node) -> {width, height}.
export function autoLayout(doc, sizeOf = (n) => nodeSize(n), gap = 170) {
  const { layer, incoming } = layers(doc);
  const columns = [];
  for (const node of doc.nodes || []) {
    const l = layer.get(node.id) || 0;
    (columns[l] = columns[l] || []).push(node);
  }
  const pos = new Map();
  let x = 0;
  const columnHeights = [];
  columns.forEach((column, l) => {
    if (!column) return;
    // Order by the mean position of the parents so edges cross less.
    if (l > 0) {
      const key = (n) => {
        const ys = incoming.get(n.id).filter((p) => pos.has(p)).map((p) => pos.get(p).y);
        return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : 0;
      };
      column.sort((a, b) => key(a) - key(b));
    }
    const width = Math.max(...column.map((n) => sizeOf(n).width));
    let y = 0;
    for (const node of column) {
      const { height } = sizeOf(node);
      pos.set(node.id, { x: x + width / 2, y: y + height / 2 });
      y += height + 36;
    }
    columnHeights[l] = y - 36;
    x += width + gap;
  });
  // Centre each column vertically.
  const tallest = Math.max(0, ...columnHeights.filter((h) => h !== undefined));
  for (const node of doc.nodes || []) {
    const l = layer.get(node.id) || 0;
    const p = pos.get(node.id);
    p.y += (tallest - columnHeights[l]) / 2;
  }
  return pos;
}

export function hasPositions(doc) {
  return (doc.nodes || []).length > 0 && doc.nodes.every((n) => Number.isFinite(n.x) && Number.isFinite(n.y));
}
