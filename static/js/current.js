/**
 * What this page shows now, for the modules a page loads beside its own (the Share
 * button, the variant panel, the exports): its graph (`cy`) and, once a finished run
 * opens, its replay. One ES module instance per page, so every importer sees the same.
 * `window.mscommRun` / `window.mscommReplay` stay as hooks for tests, not for modules.
 */
import { createHub } from "./hub.js";

const hub = createHub();
let graph = null;
let replay = null;

export const current = {
  /** The page's cytoscape core (null until the page has drawn it). */
  get cy() {
    return graph;
  },
  /** The replay of a finished run (null while live or on pages without one). */
  get replay() {
    return replay;
  },
  setGraph(cy) {
    graph = cy;
    hub.emit("graph", cy);
  },
  setReplay(value) {
    replay = value;
    hub.emit("replay", value);
  },
  /** Resolves to the graph as soon as the page has one. */
  whenGraph() {
    return graph ? Promise.resolve(graph) : new Promise((resolve) => hub.on("graph", resolve));
  },
  /** `fn(replay)` whenever a replay opens. */
  onReplay(fn) {
    hub.on("replay", fn);
    return current;
  },
};
