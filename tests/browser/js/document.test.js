// The editor's document model: changes, renames that follow references, undo/redo.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createDocument, emptyScenario, parsePath } from "../../../static/js/editor/document.js";

test("paths name list items and fields", () => {
  assert.deepEqual(parsePath("nodes[2].arrival.rate_per_s"), ["nodes", 2, "arrival", "rate_per_s"]);
});

test("links take the style their ends allow", () => {
  const model = createDocument(emptyScenario());
  const a = model.addNode("service", { x: 0, y: 0 });
  const t = model.addNode("topic", { x: 100, y: 0 });
  const b = model.addNode("service", { x: 200, y: 0 });
  assert.equal(model.addLink(a, t, "sync").style, "publish");
  assert.equal(model.addLink(t, b, "sync").style, "subscribe");
  assert.equal(model.addLink(a, b, "async").style, "async");
  assert.match(model.addLink(t, t, "sync").error, /different/);
});

test("renaming a node renames every reference to it", () => {
  const model = createDocument(emptyScenario());
  const a = model.addNode("service", { x: 0, y: 0 });
  const b = model.addNode("service", { x: 100, y: 0 });
  model.addLink(a, b, "sync");
  model.set("workload[0]", { entry: a, arrival: { process: "poisson", rate_per_s: 5 } });
  model.set("faults[0]", { target: a, mode: "crash" });
  assert.equal(model.renameNode(a, "order"), null);
  const doc = model.doc;
  assert.equal(doc.links[0].from, "order");
  assert.equal(doc.workload[0].entry, "order");
  assert.equal(doc.faults[0].target, "order");
  assert.ok(doc.layout.order && !doc.layout[a]);
  assert.match(model.renameNode("order", "Bad Id"), /lowercase/);
  assert.match(model.renameNode("order", b), /taken/);
});

test("setting a missing list item creates the list", () => {
  const model = createDocument(emptyScenario());
  model.addNode("service", { x: 0, y: 0 });
  model.set("nodes[0].operations[0]", { id: "default", calls: [] });
  assert.deepEqual(model.doc.nodes[0].operations, [{ id: "default", calls: [] }]);
  model.set("nodes[0].operations[0]", undefined);
  assert.deepEqual(model.doc.nodes[0].operations, []);
});

test("undo and redo walk the changes, and a new change drops the redo", () => {
  const model = createDocument(emptyScenario());
  model.addNode("service", { x: 0, y: 0 });
  model.addNode("service", { x: 100, y: 0 });
  model.undo();
  assert.equal(model.doc.nodes.length, 1);
  model.redo();
  assert.equal(model.doc.nodes.length, 2);
  model.undo();
  model.addNode("topic", { x: 0, y: 100 });
  assert.equal(model.history.canRedo, false);
  assert.deepEqual(model.doc.nodes.map((n) => n.id), ["service-1", "topic-1"]);
});

test("removing a node removes its links and position", () => {
  const model = createDocument(emptyScenario());
  const a = model.addNode("service", { x: 0, y: 0 });
  const b = model.addNode("service", { x: 100, y: 0 });
  model.addLink(a, b, "sync");
  model.remove({ nodes: [b] });
  assert.deepEqual(model.doc.links, []);
  assert.equal(model.doc.layout[b], undefined);
});
