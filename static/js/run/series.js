/**
 * Chart series from live frames: throughput, latency p50/p99 (from matching `arrive` and
 * `complete` events by correlation id), failures by cause and per-service utilisation,
 * sampled at most every `every` simulated seconds. At the end, `fromTimeline` replaces
 * them with the result's exact per-second timeline. Each sample also keeps its bucket
 * (`from`, `to`), the requests that succeeded in it and whether any was about (`busy`),
 * for the latency chart's gaps (gaps.js).
 */

import { timelineBuckets } from "./gaps.js";

const THROUGHPUT_WINDOW_S = 1; // the live throughput's window, in simulated seconds

export const CAUSES = ["timeout", "refused", "rejected", "bad_response", "circuit_open", "hop_limit", "lost", "other"];

function percentile(sorted, q) {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

export function createSeries(services, { every = 0.5 } = {}) {
  const s = {
    t: [],
    throughput: [],
    p50: [],
    p99: [],
    from: [],
    to: [],
    succeeded: [],
    busy: [],
    failures: Object.fromEntries(CAUSES.map((c) => [c, []])),
    utilization: Object.fromEntries(services.map((id) => [id, []])),
  };
  const arrivals = new Map(); // corr -> t
  let recent = []; // latencies (ms) completed since the last sample
  const failed = Object.fromEntries(CAUSES.map((c) => [c, 0]));
  const history = []; // [t, succeeded] of the samples in the throughput's window, and one before
  let lastSample = -Infinity;
  let before = { arrived: 0, succeeded: 0, failed: 0 }; // the requests at the last sample

  return {
    data: s,

    /** Fold one frame in; returns true when a new sample point was added. */
    add(frame) {
      const events = frame.events || [];
      let fails = 0;
      for (const e of events) if (e.kind === "fail") fails += 1;
      const failWeight = frame.sampled && frame.counts && frame.counts.fail && fails ? frame.counts.fail / fails : 1;
      for (const e of events) {
        if (e.kind === "arrive" && e.corr) arrivals.set(e.corr, e.t);
        else if (e.kind === "complete" && arrivals.has(e.corr)) {
          recent.push((e.t - arrivals.get(e.corr)) * 1000);
          arrivals.delete(e.corr);
        } else if (e.kind === "fail") {
          const cause = CAUSES.includes(e.reason) ? e.reason : "other";
          failed[cause] += failWeight;
          arrivals.delete(e.corr);
        }
      }
      if (arrivals.size > 50000) arrivals.clear(); // requests that never finished: bound memory
      const state = frame.state;
      if (!state || frame.t - lastSample < every) return false;
      const requests = { arrived: 0, succeeded: 0, failed: 0, in_flight: 0, ...state.requests };
      s.from.push(Number.isFinite(lastSample) ? lastSample : frame.t);
      s.to.push(frame.t);
      s.succeeded.push(requests.succeeded - before.succeeded);
      s.busy.push(requests.arrived > before.arrived || requests.failed > before.failed || requests.in_flight > 0);
      before = requests;
      lastSample = frame.t;
      const succeeded = requests.succeeded;
      history.push([frame.t, succeeded]);
      // Successes per second over the last simulated second, as the result's timeline
      // counts them: a longer window would draw a drop (an outage) as a slope.
      while (history.length > 2 && frame.t - history[1][0] >= THROUGHPUT_WINDOW_S) history.shift();
      const back = history[0]; // the last sample a second or more back, else the first
      const span = frame.t - back[0];
      s.t.push(frame.t);
      s.throughput.push(span > 0 ? (succeeded - back[1]) / span : null);
      recent.sort((a, b) => a - b);
      s.p50.push(percentile(recent, 0.5));
      s.p99.push(percentile(recent, 0.99));
      recent = [];
      for (const c of CAUSES) s.failures[c].push(Math.round(failed[c]));
      for (const id of services) {
        const insts = (state.services && state.services[id] && state.services[id].instances) || [];
        let held = 0;
        let total = 0;
        for (const i of insts) {
          held += (i.working || 0) + (i.blocked || 0);
          total += (i.working || 0) + (i.blocked || 0) + (i.idle || 0);
        }
        s.utilization[id].push(total ? held / total : null);
      }
      return true;
    },

    /** Replace every series with the result's exact timeline (one point per simulated second). */
    fromTimeline(timeline) {
      if (!timeline || !timeline.t_s) return;
      const liveT = s.t;
      const liveFailures = s.failures;
      s.t = timeline.t_s.slice();
      s.throughput = (timeline.succeeded || []).slice();
      s.p50 = (timeline.latency_p50_ms || []).slice();
      s.p99 = (timeline.latency_p99_ms || []).slice();
      Object.assign(s, timelineBuckets(timeline));
      if (liveT.length) {
        // The timeline has no causes: keep the live split, read at each timeline second.
        s.failures = {};
        for (const c of CAUSES) {
          let j = -1;
          s.failures[c] = s.t.map((t) => {
            while (j + 1 < liveT.length && liveT[j + 1] <= t + 1) j += 1;
            return j < 0 ? 0 : liveFailures[c][j];
          });
        }
      } else {
        // Nothing was seen live (opened after the end): all failures, cumulative, as "other".
        let total = 0;
        for (const c of CAUSES) s.failures[c] = s.t.map(() => null);
        s.failures.other = (timeline.failed || []).map((n) => (total += n));
      }
      for (const id of services) s.utilization[id] = ((timeline.utilization || {})[id] || []).slice();
      this.exact = true;
    },
  };
}
