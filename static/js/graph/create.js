/** Create the cytoscape graph of a scenario in `container` (positions from its layout, else auto). */
import cytoscape from "../../vendor/cytoscape/cytoscape.esm.min.mjs";
import { hasLayout, toElements } from "./elements.js";
import { stylesheet } from "./stylesheet.js";

/** Options: `editable` lets nodes be dragged and boxes selected. Returns the cytoscape core. */
export function createGraph(container, doc, { editable = false } = {}) {
  const cy = cytoscape({
    container,
    elements: toElements(doc),
    style: stylesheet(),
    layout: { name: "preset" },
    minZoom: 0.1,
    maxZoom: 4,
    wheelSensitivity: 0.3,
    boxSelectionEnabled: editable,
    autoungrabify: !editable,
    selectionType: "single",
    // Faster rendering for 100+ nodes while the view moves.
    textureOnViewport: false,
    hideEdgesOnViewport: false,
    pixelRatio: "auto",
  });
  if (!hasLayout(doc) && cy.nodes().length) autoLayout(cy, { animate: false });
  else cy.fit(undefined, 40);
  return cy;
}

/** Lay the graph out left to right along its links (breadth-first from entry points). */
export function autoLayout(cy, { animate = true } = {}) {
  const roots = cy.nodes().filter((n) => n.indegree(false) === 0);
  const layout = cy.layout({
    name: "breadthfirst",
    directed: true,
    roots: roots.length ? roots : undefined,
    spacingFactor: 1.2,
    padding: 40,
    animate,
    animationDuration: 300,
    transform: (node, pos) => ({ x: pos.y * 1.6, y: pos.x * 0.7 }),
  });
  layout.one("layoutstop", () => cy.fit(undefined, 40));
  layout.run();
  return layout;
}
