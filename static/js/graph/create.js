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
    boxSelectionEnabled: editable,
    autoungrabify: !editable,
    selectionType: "single",
    // Faster rendering for 100+ nodes while the view moves.
    textureOnViewport: false,
    hideEdgesOnViewport: false,
    pixelRatio: "auto",
  });
  if (!hasLayout(doc) && cy.nodes().length) autoLayout(cy, { animate: false });
  else fit(cy);
  // The page may still be settling (charts, panels): fit again once it has been laid out.
  requestAnimationFrame(() => {
    cy.resize();
    fit(cy);
  });
  window.addEventListener("resize", () => cy.resize());
  return cy;
}

/** Fit the graph in view, without blowing a tiny topology up past natural size. */
export function fit(cy) {
  cy.fit(undefined, 40);
  if (cy.zoom() > 1.5) {
    cy.zoom(1.5);
    cy.center();
  }
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
  layout.one("layoutstop", () => fit(cy));
  layout.run();
  return layout;
}
