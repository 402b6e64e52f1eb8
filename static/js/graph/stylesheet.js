/** The cytoscape stylesheet built from the palette (graph/palette.js). */
import { LINK_STYLES, NODE_KINDS } from "./palette.js";

/**
 * `scene`: the run view, where a node is a container sized by its data `w`/`h` with its name
 * above it and its instance boxes or queues drawn inside by the scene (player/scene.js).
 */
export function stylesheet({ scene = false } = {}) {
  const rules = [
    {
      selector: "node",
      style: {
        label: "data(display)",
        "text-wrap": "wrap",
        "text-max-width": "124px",
        "font-size": 12,
        "font-family": "system-ui, sans-serif",
        "text-valign": "center",
        "text-halign": "center",
        color: "#111827",
        width: 132,
        height: 50,
        "border-width": 2,
      },
    },
    {
      selector: "edge",
      style: {
        "curve-style": "bezier",
        "target-arrow-fill": "filled",
        "arrow-scale": 1.3,
        label: "data(rate)",
        "text-wrap": "wrap",
        "font-size": 10,
        "line-height": 1.3, // a breaker's line above the rates, without touching them
        "text-background-color": "#ffffff",
        "text-background-opacity": 0.85,
        "text-background-padding": 2,
        "text-rotation": "autorotate",
        "text-margin-y": -11, // above the line, clear of the particles' lanes
        color: "#374151",
      },
    },
  ];
  for (const [kind, s] of Object.entries(NODE_KINDS)) {
    rules.push({
      selector: `node[kind = "${kind}"]`,
      style: { shape: s.shape, "background-color": s.color, "border-color": s.border },
    });
  }
  // Topics and datastores carry live numbers under their name during a run.
  rules.push({ selector: 'node[kind = "topic"], node[kind = "datastore"]', style: { height: 64, width: 150, "text-max-width": "140px" } });
  for (const [name, s] of Object.entries(LINK_STYLES)) {
    rules.push({
      selector: `edge[style = "${name}"]`,
      style: {
        "line-style": s.line,
        "line-color": s.color,
        "target-arrow-color": s.color,
        "target-arrow-shape": s.arrow,
        width: s.width,
      },
    });
  }
  rules.push(
  );
  if (scene) {
    rules.push(
      {
        selector: "node",
        style: {
          // The name only: the numbers the label carries elsewhere are drawn inside the box.
          label: "data(label)",
          width: "data(w)",
          height: "data(h)",
          "text-valign": "top",
          "text-margin-y": -4,
          "font-size": 13,
          "font-weight": "bold",
          "text-max-width": "220px",
          "text-wrap": "ellipsis",
        },
      },
      { selector: 'node[kind = "service"]', style: { shape: "round-rectangle", "background-color": "#f5f8ff" } },
      { selector: 'node[kind = "topic"]', style: { shape: "round-rectangle", "background-color": "#fff7ef" } },
      { selector: 'node[kind = "datastore"]', style: { shape: "round-rectangle", "background-color": "#faf5ff" } },
      // An async link's label sits above its broker box (drawn at the link's midpoint).
      { selector: 'edge[style = "async"]', style: { "text-margin-y": -36, "text-rotation": "none" } },
      { selector: "edge", style: { "text-rotation": "none", "source-distance-from-node": 2, "target-distance-from-node": 2 } },
    );
  }
  rules.push(
    { selector: "node:selected", style: { "border-width": 4, "border-color": "#111827" } },
    { selector: "edge:selected", style: { width: 5, "overlay-opacity": 0.08 } },
    { selector: ".link-source", style: { "border-style": "double", "border-width": 6 } },
    { selector: ".has-error", style: { "border-color": "#dc2626", "line-color": "#dc2626", "border-width": 4 } },
    { selector: "node.faulted", style: { "border-color": "#dc2626", "border-style": "dashed", "border-width": 4 } },
    { selector: "edge.faulted", style: { "line-color": "#dc2626" } },
    { selector: "node.down", style: { "background-color": "#e5e7eb", color: "#6b7280" } },
    { selector: "edge.breaker-open", style: { "line-color": "#dc2626", "target-arrow-color": "#dc2626", width: 5 } },
    { selector: "edge.breaker-half_open", style: { "line-color": "#f59e0b", "target-arrow-color": "#f59e0b", width: 5 } },
    { selector: "edge.timeout-flash", style: { "line-color": "#dc2626", "target-arrow-color": "#dc2626", width: 6 } },
    { selector: "node.timeout-flash", style: { "border-color": "#dc2626", "border-width": 6 } },
  );
  return rules;
}
