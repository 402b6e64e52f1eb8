/**
 * A batch (`/batches/<id>/`): variants side by side (requests, failures, latency), and,
 * for a numeric sweep, latency and throughput charted against the swept value. A batch
 * over several seeds shows each figure's mean and 95 % interval, tightening as seeds finish.
 */
import uPlot from "../../vendor/uplot/uPlot.esm.js";
import { api } from "../api.js";
import { el, fmt, replace } from "../dom.js";
import { meanInterval, overSeeds } from "../analysis/intervals.js";
import { sloShareBadges } from "../analysis/slo-badges.js";
import { isFinal } from "../run/states.js";

const $ = (id) => document.getElementById(id);

/** What a variant is, in words: `timeout_ms = 200`, or `variant 2`. */
function variantName(v, param) {
  if (v && typeof v === "object" && "value" in v) return `${v.param || param} = ${JSON.stringify(v.value)}`;
  if (v && typeof v === "object" && "index" in v) return `variant ${v.index + 1}`;
  return String(v ?? "–");
}

const SEEDED = ["requests.started", "requests.succeeded", "requests.failed", "requests.throughput_per_s", "requests.latency_ms.p50", "requests.latency_ms.p95", "requests.latency_ms.p99"];

function seededRow(item, param) {
  const { succeeded, total } = item.seeds;
  return el(
    "tr",
    { dataset: { seeds: String(succeeded) } },
    el("td", {}, el("a", { href: `/runs/${encodeURIComponent(item.run.id)}/`, text: variantName(item.variant, param) })),
    el("td", {}, el("span", { class: `badge ${succeeded === total ? "succeeded" : "running"}`, text: `${succeeded} of ${total} seeds` })),
    ...SEEDED.map((key) => el("td", { class: "num", text: meanInterval(item.stats[key]) })),
    el("td", {}, item.slos.length ? sloShareBadges(item.slos) : "–"),
  );
}

function row(item, param, seeds) {
  if (seeds > 1) return seededRow(item, param);
  const r = (item.result && item.result.requests) || {};
  const lat = r.latency_ms || {};
  const failures = Object.entries(r.failures || {}).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ");
  return el(
    "tr",
    {},
    el("td", {}, el("a", { href: `/runs/${encodeURIComponent(item.run.id)}/`, text: variantName(item.variant, param) })),
    el("td", {}, el("span", { class: `badge ${item.run.state}`, text: item.run.state })),
    ...[r.started, r.succeeded, r.failed, r.throughput_per_s, lat.p50, lat.p95, lat.p99].map((x) => el("td", { text: fmt(x) })),
    el("td", { text: failures || "–" }),
  );
}

function table(batch) {
  const head = ["variant", "state", "started", "succeeded", "failed", "throughput/s", "p50 ms", "p95 ms", "p99 ms", batch.seeds > 1 ? "SLOs" : "failures by cause"];
  return el(
    "table",
    { id: "variants" },
    el("caption", { text: (batch.param ? `Sweep of ${batch.param}` : "Variants") + (batch.seeds > 1 ? `: means and 95 % intervals ${overSeeds(batch.seeds)} (t-interval)` : "") }),
    el("thead", {}, el("tr", {}, head.map((h) => el("th", { text: h })))),
    el("tbody", {}, batch.variants.map((item) => row(item, batch.param, batch.seeds))),
  );
}

function charts(container, batch) {
  const points = batch.variants
    .filter((v) => v.result && v.variant && typeof v.variant.value === "number")
    .sort((a, b) => a.variant.value - b.variant.value);
  if (points.length < 2) return;
  const xs = points.map((p) => p.variant.value);
  const get = (f) => points.map((p) => f(p.result.requests || {}));
  const plot = (title, labels, series, colors) => {
    const box = el("div", { class: "chart" }, el("h3", { text: title }));
    container.append(box);
    new uPlot(
      {
        width: Math.max(300, Math.floor(container.clientWidth / 2) - 32),
        height: 200,
        scales: { x: { time: false } },
        axes: [{ label: batch.param }, {}],
        series: [{ label: batch.param }, ...labels.map((label, i) => ({ label, stroke: colors[i], width: 2, points: { show: true } }))],
      },
      [xs, ...series],
      box,
    );
  };
  plot("Latency (ms) against the swept value", ["p50", "p99"], [get((r) => r.latency_ms && r.latency_ms.p50), get((r) => r.latency_ms && r.latency_ms.p99)], ["#2563eb", "#dc2626"]);
  plot("Requests per second against the swept value", ["succeeded/s", "failed"], [get((r) => r.throughput_per_s), get((r) => r.failed)], ["#16a34a", "#dc2626"]);
}

async function main() {
  const batchId = $("main").dataset.batchId;
  let drawnCharts = false;
  let named = false;
  for (;;) {
    const batch = await api(`runs/batch/${encodeURIComponent(batchId)}`);
    $("link-edit").href = `/scenarios/${encodeURIComponent(batch.scenario_id)}/`;
    if (!named) {
      named = true;
      api(`scenarios/${encodeURIComponent(batch.scenario_id)}`)
        .then((scenario) => {
          $("compare-title").textContent = `Compare: ${scenario.name}`;
          document.title = `${scenario.name} · compare · mscomm`;
        })
        .catch(() => {}); // the scenario may have been deleted since: the batch still shows
    }
    const finished = batch.variants.filter((v) => isFinal(v.run.state)).length;
    const count = batch.seeds > 1 ? `${batch.progress.done} of ${batch.progress.total} runs finished` : `${finished} of ${batch.variants.length} finished`;
    $("batch-state").textContent = batch.done ? "done" : count;
    window.mscommBatch = { done: batch.done, progress: batch.progress, seeds: batch.seeds, stats: batch.variants.map((v) => v.stats) };
    $("batch-state").className = `badge ${batch.done ? "succeeded" : "running"}`;
    replace($("compare-table"), table(batch));
    if (batch.done) {
      if (!drawnCharts) charts($("compare-charts"), batch);
      drawnCharts = true;
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

main().catch((err) => {
  $("compare-status").textContent = `could not load: ${err.message}`;
  $("compare-status").className = "status error";
});
