/** Live uPlot charts of a run: throughput, latency p50/p99, failures by cause, utilisation. */
import uPlot from "../../vendor/uplot/uPlot.esm.js";
import { el } from "../dom.js";
import { CAUSES } from "./series.js";

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#f59e0b", "#7c3aed", "#0891b2", "#db2777", "#6b7280"];

function chart(container, title, series, { yLabel = "", width = 340 } = {}) {
  const box = el("div", { class: "chart" }, el("h3", { text: title }));
  container.append(box);
  const opts = {
    width,
    height: 160,
    legend: { show: true },
    scales: { x: { time: false } },
    axes: [{ label: "simulated s", size: 36 }, { label: yLabel, size: 50 }],
    series: [{ label: "t" }, ...series.map((s, i) => ({ label: s, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true }))],
  };
  return new uPlot(opts, [[], ...series.map(() => [])], box);
}

/** Build the four charts in `container` for `services`; `update(series)` redraws them. */
export function createCharts(container, services) {
  const width = Math.max(280, Math.floor((container.clientWidth || 1000) / 2) - 32);
  const throughput = chart(container, "Throughput (requests succeeded per second)", ["per s"], { yLabel: "req/s", width });
  const latency = chart(container, "Latency (ms)", ["p50", "p99"], { yLabel: "ms", width });
  const failures = chart(container, "Failures by cause (cumulative)", CAUSES, { yLabel: "requests", width });
  const utilization = chart(container, "Worker utilisation per service", services, { yLabel: "share", width });
  let last = 0;
  return {
    /** Redraw from `series.data`; at most twice a second unless `force`. */
    update(series, force = false) {
      const now = performance.now();
      if (!force && now - last < 500) return;
      last = now;
      const d = series.data;
      throughput.setData([d.t, d.throughput]);
      latency.setData([d.t, d.p50, d.p99]);
      failures.setData([d.t, ...CAUSES.map((c) => d.failures[c])]);
      utilization.setData([d.t, ...services.map((id) => d.utilization[id])]);
    },
  };
}
