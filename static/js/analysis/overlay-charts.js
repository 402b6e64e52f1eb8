/** Timeline charts with two runs on each (uPlot): A solid, B dashed, one chart per metric. */
import uPlot from "../../vendor/uplot/uPlot.esm.js";
import { el } from "../dom.js";
import { brokenLine, shadeGaps } from "../run/charts.js";
import { breakAtGaps, noSuccessGaps, timelineBuckets } from "../run/gaps.js";
import { alignSeries } from "./align.js";

/** `gaps`: the line breaks where its run had no successes (no latency to draw). */
export const METRICS = [
  { key: "succeeded", title: "Throughput (succeeded per second)", unit: "req/s" },
  { key: "latency_p50_ms", title: "Latency p50 (ms)", unit: "ms", gaps: true },
  { key: "latency_p99_ms", title: "Latency p99 (ms)", unit: "ms", gaps: true },
  { key: "failed", title: "Failed per second", unit: "req/s" },
  { key: "in_flight", title: "Requests in flight", unit: "requests" },
];

const SIDES = [
  { tag: "A", className: "gap-a", style: { stroke: "#2563eb" } },
  { tag: "B", className: "gap-b", style: { stroke: "#dc2626", dash: [6, 4] } },
];

/**
 * A run's timeline with its latency broken where it had no successes, and those gaps
 * (run/gaps.js, the run view's rule): each run breaks at its own.
 */
function withGaps(timeline) {
  if (!timeline || !timeline.t_s) return { timeline, gaps: [] };
  const gaps = noSuccessGaps(timelineBuckets(timeline));
  const broken = METRICS.filter((m) => m.gaps).map((m) => [m.key, breakAtGaps(timeline[m.key] || [], gaps)]);
  return { timeline: { ...timeline, ...Object.fromEntries(broken) }, gaps };
}

/** Draw one chart per metric into `container`; returns the uPlot instances. */
export function overlayCharts(container, timelines, { labels = ["A", "B"], width = 420 } = {}) {
  const runs = [timelines.a, timelines.b].map(withGaps);
  return METRICS.map((m) => {
    const box = el("div", { class: "chart", dataset: { metric: m.key } }, el("h3", { text: m.title }));
    container.append(box);
    const line = () => (m.gaps ? brokenLine() : { spanGaps: true });
    // Each run's "no successes" bands in its colour, while its line is shown.
    const shade = (u) =>
      shadeGaps(
        u,
        runs.map(({ gaps }, i) => ({ gaps: u.series[i + 1].show ? gaps : [], name: labels[i], tag: SIDES[i].tag, className: SIDES[i].className })),
      );
    const opts = {
      width,
      height: 170,
      scales: { x: { time: false } },
      axes: [{ label: "simulated s", size: 36 }, { label: m.unit, size: 50 }],
      series: [{ label: "t" }, ...SIDES.map((side, i) => ({ label: labels[i], width: 2, ...side.style, ...line() }))],
      hooks: m.gaps ? { draw: [shade] } : {},
    };
    const [a, b] = m.gaps ? runs.map((run) => run.timeline) : [timelines.a, timelines.b];
    return new uPlot(opts, alignSeries(a, b, m.key), box);
  });
}
