/** Live uPlot charts of a run: throughput, latency p50/p99, failures by cause, utilisation. */
import uPlot from "../../vendor/uplot/uPlot.esm.js";
import { el, fmt, replace } from "../dom.js";
import { breakAtGaps, lonePoints, noSuccessGaps } from "./gaps.js";
import { CAUSES } from "./series.js";

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#f59e0b", "#7c3aed", "#0891b2", "#db2777", "#6b7280"];
const LABEL_CHAR_PX = 6; // about, at the band label's size: a band narrower than its label keeps only its title

/**
 * A uPlot line that breaks at null (as `breakAtGaps` leaves it, gaps.js) and draws the
 * points no line reaches as dots: uPlot leaves out dots when points are dense.
 */
export function brokenLine() {
  return { spanGaps: false, points: { filter: (u, i, show) => (show ? null : lonePoints(u.data[i])) } };
}

function chart(container, title, series, { yLabel = "", width = 340, line = () => ({ spanGaps: true }), hooks = {} } = {}) {
  const box = el("div", { class: "chart" }, el("h3", { text: title }));
  container.append(box);
  const opts = {
    width,
    height: 160,
    legend: { show: true },
    scales: { x: { time: false } },
    axes: [{ label: "simulated s", size: 36 }, { label: yLabel, size: 50 }],
    series: [{ label: "t" }, ...series.map((s, i) => ({ label: s, stroke: COLORS[i % COLORS.length], width: 2, ...line() }))],
    hooks,
  };
  return new uPlot(opts, [[], ...series.map(() => [])], box);
}

/**
 * Shade the bands of the gaps over the plot of `u`, under uPlot's cursor (placed with
 * CSSOM): `lines` has one `{gaps, name, tag, className}` per line with gaps of its own.
 * On a chart of one run, `name` (in the title) and `tag` (on the band) are left out; where
 * two runs share a chart, each run's bands say whose they are.
 */
export function shadeGaps(u, lines) {
  let layer = u.over.querySelector(".chart-gaps");
  if (!layer) {
    layer = el("div", { class: "chart-gaps" });
    u.over.prepend(layer);
  }
  const plotWidth = u.over.clientWidth;
  const bands = lines.flatMap(({ gaps, name = "", tag = "", className = "" }) =>
    gaps
      .filter((gap) => gap.band)
      .map(({ band }) => {
        const left = Math.max(0, u.valToPos(band.from, "x"));
        const right = Math.min(plotWidth, u.valToPos(band.to, "x"));
        if (!(right > left)) return null;
        const what = `request succeeded from ${fmt(band.from)} s to ${fmt(band.to)} s of simulated time: no latency to draw.`;
        const title = name ? `${name}: no ${what}` : `No ${what}`;
        const label = tag ? `${tag}: no successes` : "no successes";
        const node = el("div", { class: ["chart-gap", className].filter(Boolean).join(" "), title }, el("span", { text: label }));
        node.classList.toggle("narrow", right - left < label.length * LABEL_CHAR_PX);
        node.style.left = `${left}px`;
        node.style.width = `${right - left}px`;
        return node;
      }),
  );
  replace(layer, bands);
}

/** Build the four charts in `container` for `services`; `update(series)` redraws them. */
export function createCharts(container, services) {
  const width = Math.max(280, Math.floor((container.clientWidth || 1000) / 2) - 32);
  let gaps = [];
  const throughput = chart(container, "Throughput (requests succeeded per second)", ["per s"], { yLabel: "req/s", width });
  // Where nothing succeeded the latency lines break, over a "no successes" band (gaps.js).
  const latency = chart(container, "Latency (ms)", ["p50", "p99"], {
    yLabel: "ms",
    width,
    line: brokenLine,
    hooks: { draw: [(u) => shadeGaps(u, [{ gaps }])] },
  });
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
      gaps = noSuccessGaps(d);
      throughput.setData([d.t, d.throughput]);
      latency.setData([d.t, breakAtGaps(d.p50, gaps), breakAtGaps(d.p99, gaps)]);
      failures.setData([d.t, ...CAUSES.map((c) => d.failures[c])]);
      utilization.setData([d.t, ...services.map((id) => d.utilization[id])]);
    },
  };
}
