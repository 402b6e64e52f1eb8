// The analysis pages' pure helpers: sweep values and fields, chart alignment, seeking.
import assert from "node:assert/strict";
import { test } from "node:test";

import { alignSeries } from "../../../static/js/analysis/align.js";
import { lastAtOrBefore } from "../../../static/js/analysis/scrubber.js";
import { spread, sweepMetrics, sweepParams } from "../../../static/js/analysis/sweep-model.js";

const DOC = {
  nodes: [
    { id: "order", kind: "service" },
    { id: "placed", kind: "topic" },
  ],
  links: [
    { id: "pay", from: "order", to: "order", style: "sync" },
    { id: "pub", from: "order", to: "placed", style: "publish" },
  ],
  workload: [{ entry: "order", arrival: { process: "poisson", rate_per_s: 10 } }],
};

test("sweep values are evenly spread, rounded for integer fields, without repeats", () => {
  assert.deepEqual(spread(10, 500, 5), [10, 132.5, 255, 377.5, 500]);
  assert.deepEqual(spread(1, 3, 5, true), [1, 2, 3]);
  assert.deepEqual(spread(7, 9, 1), [7]);
});

test("sweepable fields come from the scenario, by id, for calls and services only", () => {
  const paths = sweepParams(DOC).map((p) => p.path);
  assert.deepEqual(paths, [
    "workload[0].arrival.rate_per_s",
    "links[pay].timeout_ms",
    "links[pay].retries",
    "links[pay].network_ms",
    "nodes[order].instances",
    "nodes[order].workers",
    "nodes[order].work_ms",
  ]);
  assert.equal(sweepParams(DOC).find((p) => p.path === "nodes[order].instances").integer, true);
});

test("sweep metrics read a result document, null where nothing was measured", () => {
  const metrics = Object.fromEntries(sweepMetrics(DOC).map((m) => [m.key, m.read]));
  const result = {
    requests: { started: 200, failed: 50, throughput_per_s: 2.5, latency_ms: { p50: 3, p99: null } },
    services: { order: { utilization: 0.4 } },
  };
  assert.equal(metrics.failure_rate(result), 0.25);
  assert.equal(metrics.p50(result), 3);
  assert.equal(metrics.p99(result), null);
  assert.equal(metrics["util:order"](result), 0.4);
  assert.equal(metrics.failure_rate({ requests: { started: 0 } }), null);
  assert.equal(Object.keys(metrics).includes("util:placed"), false);
});

test("two timelines share one x axis, with gaps where one run has no second", () => {
  const a = { t_s: [0, 1, 2], succeeded: [5, 6, 7] };
  const b = { t_s: [0, 1], succeeded: [9, 8] };
  assert.deepEqual(alignSeries(a, b, "succeeded"), [
    [0, 1, 2],
    [5, 6, 7],
    [9, 8, null],
  ]);
  assert.deepEqual(alignSeries(null, b, "succeeded"), [[0, 1], [null, null], [9, 8]]);
});

test("seeking finds the last frame at or before a time", () => {
  const frames = [{ t: 0 }, { t: 0.5 }, { t: 1 }, { t: 1.5 }];
  const at = (t) => lastAtOrBefore(frames, t, (f) => f.t);
  assert.equal(at(-1), -1);
  assert.equal(at(0), 0);
  assert.equal(at(0.99), 1);
  assert.equal(at(1), 2);
  assert.equal(at(99), 3);
});
