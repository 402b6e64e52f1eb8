/**
 * The editor's graph with `?n=` services (and two links each): how long it takes to draw,
 * to apply one edit (document snapshot + graph sync), and to lay out. Results land in
 * `window.benchResult` (read by bench/browser_fps.py).
 */
import { autoLayout, createGraph } from "../graph/create.js";
import { createDocument } from "../editor/document.js";
import { syncGraph } from "../editor/sync.js";

const n = Number(new URLSearchParams(location.search).get("n") || 150);

function bigDoc() {
  const nodes = [];
  const links = [];
  const layout = {};
  for (let i = 0; i < n; i += 1) {
    nodes.push({ id: `s${i}`, kind: "service", label: `Service ${i}` });
    layout[`s${i}`] = { x: 180 * (i % 15), y: 110 * Math.floor(i / 15) };
    if (i > 0) links.push({ id: `a${i}`, from: `s${Math.floor((i - 1) / 2)}`, to: `s${i}`, style: "sync" });
    if (i > 1) links.push({ id: `b${i}`, from: `s${i}`, to: `s${i - 2}`, style: "async" });
  }
  return { format: "mscomm.scenario/1", name: "big", nodes, links, layout, workload: [], faults: [] };
}

const t0 = performance.now();
const model = createDocument(bigDoc());
const cy = createGraph(document.getElementById("graph"), model.doc, { editable: true });
const drawMs = performance.now() - t0;
model.on("change", (doc) => syncGraph(cy, doc));

const edits = 50;
const t1 = performance.now();
for (let i = 0; i < edits; i += 1) model.set(`nodes[${i % n}].label`, `Renamed ${i}`);
const editMs = (performance.now() - t1) / edits;

const t2 = performance.now();
for (let i = 0; i < 10; i += 1) model.addNode("service", { x: -200, y: 60 * i });
model.undo();
const addMs = (performance.now() - t2) / 11;

const t3 = performance.now();
autoLayout(cy, { animate: false });
const layoutMs = performance.now() - t3;

window.benchResult = { n, links: model.doc.links.length, drawMs, editMs, addMs, layoutMs };
document.getElementById("bench-status").textContent = JSON.stringify(window.benchResult);
