/**
 * The run view's layout: ELK's layered algorithm (elkjs, in a web worker) on nodes sized to
 * hold their instance boxes or queues (player/boxes.js), with every link's label (and an
 * async link's broker) given room between the layers, so labels never sit on a node. The
 * direction (left to right, or top to bottom) is the one that fills the stage best.
 *
 * elkjs ships UMD builds only: pages load `vendor/elkjs/elk-api.js` as a classic script
 * (it defines `window.ELK`) and the layout runs in `vendor/elkjs/elk-worker.min.js`.
 */
import { BROKER, nodeSize } from "../player/boxes.js";

const WORKER_URL = new URL("../../vendor/elkjs/elk-worker.min.js", import.meta.url).href;
const LABEL = { width: 128, height: 30 }; // "12/s · 30 in flight", and a breaker line
const FULL_BELOW = 60; // nodes: past this, one direction and a quicker layout (time)

let elk = null;
function engine() {
  if (elk) return elk;
  if (typeof window.ELK !== "function") return null;
  elk = new window.ELK({ workerUrl: WORKER_URL });
  return elk;
}

function graphFor(cy, direction, full, wrap = null) {
  const children = cy.nodes().map((n) => {
    const size = nodeSize(n);
    return { id: n.id(), width: size.w, height: size.h + 18 }; // + the name above the box
  });
  const edges = cy.edges().map((e) => {
    const label = e.data("style") === "async" ? { width: BROKER.w + 8, height: BROKER.h + LABEL.height } : LABEL;
    // Labels as ELK label dummies cost time on big graphs: there the layers are spaced
    // wide enough for the widest label (a broker) instead.
    // (ELK's wrapping fails on label dummies: a wrapped layout spaces its layers instead.)
    const labels = full && !wrap ? [{ text: "label", ...label }] : [];
    return { id: e.id(), sources: [e.source().id()], targets: [e.target().id()], labels };
  });
  const wide = String(BROKER.w + 24);
  const quick = wrap
    ? {
        // A long chain folds into rows that match the stage's shape.
        "elk.layered.wrapping.strategy": "SINGLE_EDGE",
        "elk.aspectRatio": String(wrap),
        "elk.layered.spacing.nodeNodeBetweenLayers": wide,
        "elk.spacing.nodeNode": "70",
      }
    : full
    ? {}
    : {
        "elk.layered.thoroughness": "1",
        "elk.layered.nodePlacement.strategy": "SIMPLE",
        "elk.layered.spacing.nodeNodeBetweenLayers": wide,
      };
  return {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": direction,
      "elk.edgeLabels.placement": "CENTER",
      "elk.spacing.nodeNode": "36",
      "elk.spacing.edgeLabel": "6",
      "elk.layered.spacing.nodeNodeBetweenLayers": "48",
      "elk.layered.spacing.edgeNodeBetweenLayers": "16",
      "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
      "elk.separateConnectedComponents": "true",
      "elk.spacing.componentComponent": "48",
      ...quick,
    },
    children,
    edges,
  };
}

/** How far `fit` would zoom a laid-out graph into a `width` x `height` stage. */
function fitZoom(result, width, height) {
  return Math.min((width - 80) / Math.max(1, result.width), (height - 80) / Math.max(1, result.height));
}

/**
 * Lay `cy` out; resolves to `{direction, ms}` once positions are applied (null when elkjs is
 * not on the page: the caller keeps its own layout).
 */
export async function sceneLayout(cy) {
  const layouter = engine();
  if (!layouter || cy.nodes().empty()) return null;
  const began = performance.now();
  const box = cy.container().getBoundingClientRect();
  const full = cy.nodes().length < FULL_BELOW;
  const aspect = Math.max(0.5, Math.min(4, box.width / Math.max(1, box.height)));
  const candidates = full
    ? [["RIGHT", null], ["DOWN", null], ["RIGHT", aspect]]
    : [[box.width >= box.height ? "RIGHT" : "DOWN", null]];
  const results = await Promise.all(
    candidates.map(([d, wrap]) => layouter.layout(graphFor(cy, d, full, wrap)).then((r) => [wrap ? `${d} wrapped` : d, r])),
  );
  // A wide stage takes a left-to-right chain; a tall or crowded graph may fit better downwards.
  const [direction, best] = results.reduce((a, b) => (fitZoom(b[1], box.width, box.height) > fitZoom(a[1], box.width, box.height) * 1.15 ? b : a));
  const at = new Map(best.children.map((c) => [c.id, c]));
  cy.batch(() => {
    cy.nodes().forEach((n) => {
      const c = at.get(n.id());
      if (c) n.position({ x: c.x + c.width / 2, y: c.y + 18 + (c.height - 18) / 2 });
    });
  });
  return { direction, ms: performance.now() - began };
}
