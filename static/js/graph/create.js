/** Create the cytoscape graph of a scenario in `container` (positions from its layout, else auto). */
import cytoscape from "../../vendor/cytoscape/cytoscape.esm.min.mjs";
import { nodeSize } from "../player/boxes.js";
import { hasLayout, toElements } from "./elements.js";
import { sceneLayout } from "./layout.js";
import { stylesheet } from "./stylesheet.js";

/**
 * Options: `editable` lets nodes be dragged and boxes selected; `scene` sizes every node to
 * hold its instance boxes or queues and lays the graph out with ELK (the run view), and
 * `cy.scratch("sceneLayout")` is then a promise of that layout (resolved after 4 s at most;
 * `"sceneLayoutDone"` waits for ELK however long). Returns the cytoscape core.
 */
export function createGraph(container, doc, { editable = false, scene = false } = {}) {
  const cy = cytoscape({
    container,
    elements: toElements(doc),
    style: stylesheet({ scene }),
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
  if (scene) {
    cy.scratch("scene", true);
    cy.batch(() => cy.nodes().forEach((n) => {
      const size = nodeSize(n);
      n.data({ w: size.w, h: size.h });
    }));
  }
  if (!hasLayout(doc) && cy.nodes().length) autoLayout(cy, { animate: false });
  else fit(cy);
  if (scene) {
    // A small graph waits hidden for its layout (a tenth of a second), so nothing jumps; a
    // big one shows at once in the quick layout above and moves when ELK is done.
    const wait = cy.nodes().length < 60;
    if (wait) container.classList.add("laying-out");
    // Never wait long: past a few seconds the quick layout stands (and ELK may still land).
    const late = new Promise((resolve) => setTimeout(resolve, 4000, null));
    const done = sceneLayout(cy)
      .then((result) => {
        // The page around may have moved meanwhile: cytoscape must measure its box again.
        cy.resize();
        if (result) fit(cy);
        return result;
      })
      .catch(() => null); // no ELK: the layout above stands
    const laid = Promise.race([done, late]).finally(() => container.classList.remove("laying-out"));
    cy.scratch("sceneLayout", laid);
    cy.scratch("sceneLayoutDone", done); // ELK's, however long it takes
  }
  // The page may still be settling (charts, panels): fit again once it has been laid out.
  requestAnimationFrame(() => {
    cy.resize();
    fit(cy);
  });
  window.addEventListener("resize", () => cy.resize());
  // Cytoscape keeps where its box was on the page; content above it (toolbars filled in
  // after the graph) moves it. Measure again whenever the pointer comes in.
  container.addEventListener("pointerenter", () => cy.resize());
  return cy;
}

/** Fit the graph in view, without blowing a tiny topology up past twice its size. */
export function fit(cy) {
  cy.fit(undefined, 40);
  if (cy.zoom() > 2) {
    cy.zoom(2);
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
