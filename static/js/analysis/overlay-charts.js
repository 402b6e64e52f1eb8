/** Timeline charts with two runs on each (uPlot): A solid, B dashed, one chart per metric. */
import uPlot from "../../vendor/uplot/uPlot.esm.js";
import { el } from "../dom.js";
import { alignSeries } from "./align.js";

export const METRICS = [
  { key: "succeeded", title: "Throughput (succeeded per second)", unit: "req/s" },
  { key: "latency_p50_ms", title: "Latency p50 (ms)", unit: "ms" },
  { key: "latency_p99_ms", title: "Latency p99 (ms)", unit: "ms" },
  { key: "failed", title: "Failed per second", unit: "req/s" },
  { key: "in_flight", title: "Requests in flight", unit: "requests" },
];

/** Draw one chart per metric into `container`; returns the uPlot instances. */
export function overlayCharts(container, timelines, { labels = ["A", "B"], width = 420 } = {}) {
  return METRICS.map((m) => {
    const box = el("div", { class: "chart", dataset: { metric: m.key } }, el("h3", { text: m.title }));
    container.append(box);
    const opts = {
      width,
      height: 170,
      scales: { x: { time: false } },
      axes: [{ label: "simulated s", size: 36 }, { label: m.unit, size: 50 }],
      series: [
        { label: "t" },
        { label: labels[0], stroke: "#2563eb", width: 2, spanGaps: true },
        { label: labels[1], stroke: "#dc2626", width: 2, dash: [6, 4], spanGaps: true },
      ],
    };
    return new uPlot(opts, alignSeries(timelines.a, timelines.b, m.key), box);
  });
}
