/**
 * Where the latency chart has nothing to draw because no request succeeded (an outage):
 * its lines break there instead of joining the points either side, which would draw a
 * steady climb through it, and the stretch is shaded "no successes".
 *
 * Each chart sample stands for a bucket of simulated time `[from, to]` (a live sample:
 * since the previous one; the result's timeline: its second) with the requests that
 * succeeded in it (exact: the frames' state counts them, the timeline per second) and
 * whether any request was about (`busy`: arrived, failed or still in flight).
 */

/**
 * The shortest stretch without a success that breaks the line: the result timeline's
 * bucket, one simulated second. Live samples come a fraction of a second apart, and a
 * shorter lull between two of them is chance, not an outage.
 */
export const MIN_GAP_S = 1;

/**
 * A stretch is shaded when, at the success rate seen before it, this many successes were
 * due in its busy part: that none came is then unlikely to be chance (Poisson, e^-3 ≈ 5 %).
 * A slow workload's quiet second breaks the line but is not called an outage.
 */
export const DUE_SUCCESSES = 3;

/**
 * The buckets of a result's timeline as `noSuccessGaps` reads them: one simulated second
 * each, `[t, t + 1)`, with its successes; busy when a request arrived, failed or was in
 * flight in it.
 */
export function timelineBuckets(timeline) {
  const t = timeline.t_s || [];
  return {
    from: t.slice(),
    to: t.map((x) => x + 1),
    succeeded: (timeline.succeeded || []).slice(),
    busy: t.map((_, i) => ["arrived", "failed", "in_flight"].some((key) => (timeline[key] || [])[i] > 0)),
  };
}

/**
 * The stretches of consecutive buckets in which nothing succeeded, once the line has
 * begun, lasting at least `minS`: `{first, last, band}`, `first`..`last` the samples
 * without a point. `band` `{from, to}` runs from the start of its first busy bucket to
 * the end of its last, or is null: no request was about (a quiet spell, the drain after
 * the workload stops), or too few successes were due for their absence to mean anything.
 */
export function noSuccessGaps({ from, to, succeeded, busy }, minS = MIN_GAP_S) {
  const gaps = [];
  let begun = null; // where the line began
  let done = 0; // successes since then
  for (let i = 0; i < succeeded.length; i += 1) {
    if (succeeded[i] > 0) {
      if (begun === null) begun = from[i];
      done += succeeded[i];
      continue;
    }
    let last = i;
    while (last + 1 < succeeded.length && !(succeeded[last + 1] > 0)) last += 1;
    if (begun !== null && to[last] - from[i] >= minS) {
      const about = [];
      for (let j = i; j <= last; j += 1) if (busy[j]) about.push(j);
      const band = about.length ? { from: from[about[0]], to: to[about.at(-1)] } : null;
      const rate = done / Math.max(from[i] - begun, minS);
      const due = band !== null && rate * (band.to - band.from) >= DUE_SUCCESSES;
      gaps.push({ first: i, last, band: due ? band : null });
    }
    i = last;
  }
  return gaps;
}

/**
 * `values` for a chart line broken at `gaps`: null there (uPlot breaks a line at null),
 * and any other missing value undefined (uPlot joins across it: a sample whose successes
 * the sampled events did not show).
 */
export function breakAtGaps(values, gaps) {
  const out = values.map((v) => (v === null ? undefined : v));
  for (const gap of gaps) out.fill(null, gap.first, gap.last + 1);
  return out;
}

/**
 * The indices of `values` (as `breakAtGaps` leaves them) that no line reaches: a point
 * with a break or an end on both sides. The chart draws them as dots, or they would
 * not show at all.
 */
export function lonePoints(values) {
  const lone = [];
  let prev = null; // the last value that is not undefined
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i];
    if (v === undefined) continue;
    if (v !== null && prev === null) {
      let next = i + 1;
      while (next < values.length && values[next] === undefined) next += 1;
      if (next >= values.length || values[next] === null) lone.push(i);
    }
    prev = v;
  }
  return lone;
}
