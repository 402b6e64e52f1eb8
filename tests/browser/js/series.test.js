// Chart series from frames, and their replacement by the result's exact timeline.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createSeries } from "../../../static/js/run/series.js";

function frame(t, events, succeeded, extra = {}) {
  return {
    t,
    events,
    counts: {},
    sampled: false,
    state: { requests: { succeeded }, services: { a: { instances: [{ up: true, working: 1, blocked: 1, idle: 2 }] } } },
    ...extra,
  };
}

test("latency comes from matching arrivals and completions, failures by cause", () => {
  const series = createSeries(["a"], { every: 1 });
  series.add(frame(0.5, [{ kind: "arrive", corr: "r1", t: 0.1 }, { kind: "arrive", corr: "r2", t: 0.2 }], 0));
  const sampled = series.add(
    frame(1.5, [{ kind: "complete", corr: "r1", t: 0.3 }, { kind: "fail", corr: "r2", t: 1.2, reason: "timeout" }], 1),
  );
  assert.equal(sampled, true);
  const d = series.data;
  assert.equal(Math.round(d.p50.at(-1)), 200); // r1 took 0.2 s
  assert.equal(d.failures.timeout.at(-1), 1);
  assert.equal(d.utilization.a.at(-1), 0.5); // busy + blocked over all workers
});

test("a sampled frame's failures are weighed up to the exact count", () => {
  const series = createSeries([], { every: 0 });
  series.add(frame(1, [{ kind: "fail", reason: "refused", t: 1 }], 0, { sampled: true, counts: { fail: 10 } }));
  assert.equal(series.data.failures.refused.at(-1), 10);
});

test("the exact timeline replaces the live series but keeps the live split of causes", () => {
  const series = createSeries(["a"], { every: 0 });
  series.add(frame(0.5, [{ kind: "fail", reason: "timeout", t: 0.5 }], 0));
  series.add(frame(1.5, [{ kind: "fail", reason: "rejected", t: 1.5 }], 0));
  series.fromTimeline({
    t_s: [0, 1],
    succeeded: [5, 7],
    failed: [1, 1],
    latency_p50_ms: [10, 12],
    latency_p99_ms: [20, 30],
    utilization: { a: [0.1, 0.2] },
  });
  const d = series.data;
  assert.deepEqual(d.t, [0, 1]);
  assert.deepEqual(d.throughput, [5, 7]);
  assert.deepEqual(d.failures.timeout, [1, 1]);
  assert.deepEqual(d.failures.rejected, [0, 1]);
  assert.deepEqual(d.utilization.a, [0.1, 0.2]);
});

test("live throughput counts the last simulated second, so an outage is a drop, not a slope", () => {
  const series = createSeries(["a"], { every: 0.5 });
  // 10 successes a second for 5 s, then none.
  for (let i = 1; i <= 16; i += 1) {
    const t = i / 2;
    series.add(frame(t, [], Math.round(10 * Math.min(t, 5))));
  }
  const byT = Object.fromEntries(series.data.t.map((t, i) => [t, series.data.throughput[i]]));
  assert.equal(byT[0.5], null); // one sample: no span yet
  assert.equal(byT[1], 10);
  assert.equal(byT[5], 10);
  assert.equal(byT[5.5], 5); // half the last second had none
  assert.equal(byT[6], 0); // a second after the last success: none, at once
  assert.equal(byT[8], 0);
});
