/**
 * A scenario document (scenario-format.md) as cytoscape elements, and positions back.
 * Labels go to cytoscape's label API (data fields), which draws them as text, never HTML.
 */

/** Cytoscape elements for `doc`: one node per `nodes[]`, one edge per `links[]`. */
export function toElements(doc) {
  const layout = doc.layout || {};
  const ids = new Set((doc.nodes || []).map((n) => n.id));
  const nodes = (doc.nodes || []).map((n, i) => {
    const pos = layout[n.id];
    return {
      group: "nodes",
      // instances and workers size the node's instance boxes on the run view (player/boxes.js).
      data: { id: n.id, kind: n.kind, label: n.label || n.id, display: n.label || n.id, index: i, instances: n.instances ?? 1, workers: n.workers ?? 10 },
      position: pos ? { x: pos.x, y: pos.y } : undefined,
    };
  });
  const edges = (doc.links || [])
    .filter((l) => ids.has(l.from) && ids.has(l.to))
    .map((l, i) => ({
      group: "edges",
      data: { id: `link:${l.id}`, link: l.id, source: l.from, target: l.to, style: l.style, rate: "", index: i },
    }));
  return [...nodes, ...edges];
}

/** Whether every node of `doc` has a stored position. */
export function hasLayout(doc) {
  const layout = doc.layout || {};
  return (doc.nodes || []).every((n) => layout[n.id]);
}

/** The model positions of every node, rounded, as the scenario's `layout` object. */
export function positionsOf(cy) {
  const layout = {};
  cy.nodes().forEach((n) => {
    const p = n.position();
    layout[n.id()] = { x: Math.round(p.x), y: Math.round(p.y) };
  });
  return layout;
}
