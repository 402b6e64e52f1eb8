// The latency chart's gaps: where nothing succeeded the line breaks, over a band.
import assert from "node:assert/strict";
import { test } from "node:test";

import { alignSeries } from "../../../static/js/analysis/align.js";
import { breakAtGaps, lonePoints, noSuccessGaps, timelineBuckets } from "../../../static/js/run/gaps.js";
import { createSeries } from "../../../static/js/run/series.js";

/** The line's pieces as uPlot draws them: it breaks at null and joins across undefined. */
function segments(values) {
  const pieces = [];
  let piece = null;
  values.forEach((v, i) => {
    if (v === null) piece = null;
    else if (v !== undefined) {
      if (!piece) pieces.push((piece = []));
      piece.push(i);
    }
  });
  return pieces;
}

/** A result timeline's buckets (one simulated second each), as series.fromTimeline keeps them. */
function seconds(succeeded, busy = succeeded.map(() => true)) {
  const t = succeeded.map((_, i) => i);
  return { from: t, to: t.map((x) => x + 1), succeeded, busy };
}

test("an outage in the timeline breaks the line in two over a band of its seconds", () => {
  // cascade-sync's shape: successes, then none from 20 s while requests wait and time out.
  const succeeded = [13, 11, 13, 20, 0, 0, 0, 0, 75, 21];
  const gaps = noSuccessGaps(seconds(succeeded));
  assert.deepEqual(gaps, [{ first: 4, last: 7, band: { from: 4, to: 8 } }]);
  const p50 = succeeded.map((n) => (n ? 90 : null));
  assert.deepEqual(segments(breakAtGaps(p50, gaps)), [
    [0, 1, 2, 3],
    [8, 9],
  ]);
  // Joined across the nulls (what the chart did), it was one line through the outage.
  assert.equal(segments(p50.map((v) => (v === null ? undefined : v))).length, 1);
});

test("one second without a success is a gap; live lulls shorter than a second are not", () => {
  assert.equal(noSuccessGaps(seconds([5, 0, 5])).length, 1);
  // Live samples a quarter second apart: one empty by chance, then a whole second empty.
  const t = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5];
  const live = { from: [0, ...t.slice(0, -1)], to: t, succeeded: [3, 0, 4, 2, 0, 0, 0, 0, 3, 2], busy: t.map(() => true) };
  const gaps = noSuccessGaps(live);
  assert.deepEqual(gaps, [{ first: 4, last: 7, band: { from: 1, to: 2 } }]);
  // A sample with successes but no latency seen (sampled events) stays joined.
  const p50 = [80, null, 85, null, null, null, null, null, 90, 88];
  assert.deepEqual(segments(breakAtGaps(p50, gaps)), [
    [0, 2],
    [8, 9],
  ]);
});

test("no band before the first success, nor where no request was about", () => {
  // The first seconds (nothing finished yet) are not an outage: the line has not begun.
  assert.deepEqual(noSuccessGaps(seconds([0, 0, 4, 5])), []);
  // The drain after the workload: the line ends, with nothing to shade.
  const drain = noSuccessGaps(seconds([4, 5, 0, 0, 0], [true, true, false, false, false]));
  assert.deepEqual(drain, [{ first: 2, last: 4, band: null }]);
  // An outage running into the drain is shaded while requests were still about.
  const tail = noSuccessGaps(seconds([4, 0, 0, 0], [true, true, true, false]));
  assert.deepEqual(tail[0].band, { from: 1, to: 3 });
});

test("a slow workload's empty second breaks the line but is not shaded as an outage", () => {
  // About one success a second: a second without one is chance (one was due, not three).
  const gaps = noSuccessGaps(seconds([1, 2, 1, 0, 1, 0, 0, 0, 0, 1]));
  assert.deepEqual(gaps, [
    { first: 3, last: 3, band: null },
    { first: 5, last: 8, band: { from: 5, to: 9 } }, // four seconds: four successes were due
  ]);
  // Live: a quiet second and a half, then a request arrives in its last sample; it is in
  // flight, not held up, so only that sample counts (a success was hardly due in it).
  const t = [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4];
  const busy = [true, true, false, false, false, true, true, true];
  const quiet = noSuccessGaps({ from: [0, ...t.slice(0, -1)], to: t, succeeded: [2, 2, 0, 0, 0, 0, 1, 2], busy });
  assert.deepEqual(quiet, [{ first: 2, last: 5, band: null }]);
});

test("a point with a break on both sides is drawn as a dot, or it would not show", () => {
  assert.deepEqual(lonePoints([40, null, 42, null, 41, 43]), [0, 2]);
  assert.deepEqual(lonePoints([null, 40, undefined, 41, null, 44]), [5]);
  assert.deepEqual(lonePoints([undefined, 40, undefined]), [1]);
  assert.deepEqual(lonePoints([]), []);
});

test("the series keeps each sample's bucket and its successes, live and from the timeline", () => {
  const series = createSeries([], { every: 1 });
  const state = (arrived, succeeded, failed, in_flight) => ({ requests: { arrived, succeeded, failed, in_flight }, services: {} });
  series.add({ t: 1, events: [], state: state(10, 8, 0, 2) });
  series.add({ t: 2, events: [], state: state(20, 8, 3, 9) });
  series.add({ t: 3, events: [], state: state(30, 20, 3, 1) });
  const d = series.data;
  assert.deepEqual([d.from, d.to, d.succeeded, d.busy], [[1, 1, 2], [1, 2, 3], [8, 0, 12], [true, true, true]]);
  assert.equal(noSuccessGaps(d).length, 1);
  series.fromTimeline({
    t_s: [0, 1, 2],
    arrived: [5, 5, 0],
    succeeded: [5, 0, 0],
    failed: [0, 2, 0],
    in_flight: [0, 3, 0],
    latency_p50_ms: [10, null, null],
    latency_p99_ms: [20, null, null],
    utilization: {},
  });
  const exact = series.data;
  assert.deepEqual([exact.from, exact.to, exact.succeeded, exact.busy], [[0, 1, 2], [1, 2, 3], [5, 0, 0], [true, true, false]]);
  assert.deepEqual(noSuccessGaps(exact), [{ first: 1, last: 2, band: { from: 1, to: 2 } }]);
});

test("on the compare page each run's latency breaks at its own gaps, through the alignment", () => {
  // A: nothing succeeds in seconds 2-3 while requests wait; B (the variant) never stops, and
  // its timeline is a second longer.
  const a = { t_s: [0, 1, 2, 3, 4], arrived: [9, 9, 9, 9, 9], succeeded: [8, 9, 0, 0, 20], latency_p50_ms: [40, 42, null, null, 900] };
  const b = { t_s: [0, 1, 2, 3, 4, 5], arrived: [9, 9, 9, 9, 9, 0], succeeded: [8, 9, 9, 9, 9, 1], latency_p50_ms: [30, 31, 32, 30, 31, 29] };
  const gapsA = noSuccessGaps(timelineBuckets(a));
  assert.deepEqual(gapsA, [{ first: 2, last: 3, band: { from: 2, to: 4 } }]);
  assert.deepEqual(noSuccessGaps(timelineBuckets(b)), []);
  const broken = (tl, gaps) => ({ ...tl, latency_p50_ms: breakAtGaps(tl.latency_p50_ms, gaps) });
  const [t, lineA, lineB] = alignSeries(broken(a, gapsA), broken(b, []), "latency_p50_ms");
  assert.deepEqual(t, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(segments(lineA), [[0, 1], [4]]);
  assert.deepEqual(segments(lineB), [[0, 1, 2, 3, 4, 5]]);
  // A value left out (undefined: joined) stays so; a second a run lacks is a break.
  assert.deepEqual(alignSeries({ t_s: [0, 1, 2], v: [1, undefined, 3] }, { t_s: [0], v: [5] }, "v"), [
    [0, 1, 2],
    [1, undefined, 3],
    [5, null, null],
  ]);
});

test("a timeline's buckets are its seconds, busy while a request was about", () => {
  const timeline = { t_s: [0, 1, 2], arrived: [3, 0, 0], succeeded: [2, 0, 0], failed: [0, 0, 0], in_flight: [1, 1, 0] };
  assert.deepEqual(timelineBuckets(timeline), { from: [0, 1, 2], to: [1, 2, 3], succeeded: [2, 0, 0], busy: [true, true, false] });
  assert.deepEqual(timelineBuckets({ t_s: [0] }), { from: [0], to: [1], succeeded: [], busy: [false] });
});
