/**
 * The sweep page (`/sweeps/new?scenario=<id>`): vary one field over a range, run every
 * point as a batch fanned out over the workers (POST /api/runs/batch), show progress,
 * and plot the chosen metric against the parameter as the points finish. Over several
 * seeds per point it plots the mean with its 95 % interval and the P10–P90 band (both
 * tightening as seeds finish), and a table row opens that point's spread across seeds.
 */
import uPlot from "../../vendor/uplot/uPlot.esm.js";
import { api } from "../api.js";
import { el, fmt, replace } from "../dom.js";
import { ONE_SEED, meanInterval, overSeeds } from "../analysis/intervals.js";
import { spreadChart } from "../analysis/spread.js";
import { spread, sweepMetrics, sweepParams } from "../analysis/sweep-model.js";

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function options(select, items, value, label) {
  replace(select, items.map((item) => el("option", { value: value(item), text: label(item) })));
}

async function chooseScenario() {
  const list = await api("scenarios");
  if (!list.length) {
    $("sweep-status").textContent = "You have no scenarios yet: copy a lab from the gallery first.";
    return null;
  }
  options($("scenario"), list, (s) => s.id, (s) => s.name);
  return list[0].id;
}

async function main() {
  let scenarioId = $("main").dataset.scenarioId || (await chooseScenario());
  if (!scenarioId) return;
  $("scenario").value = scenarioId;
  let doc = null;
  let params = [];
  let metrics = [];
  let points = []; // [{value, result, stats, seeds}]
  let plot = null;
  let lastBatch = null;

  async function load(id) {
    scenarioId = id;
    const scenario = await api(`scenarios/${encodeURIComponent(id)}`);
    doc = scenario.doc;
    if (![...$("scenario").options].some((o) => o.value === id)) {
      $("scenario").append(el("option", { value: id, text: scenario.name }));
    }
    $("scenario").value = id;
    params = sweepParams(doc);
    metrics = sweepMetrics(doc);
    options($("param"), params, (p) => p.path, (p) => p.label);
    options($("metric"), metrics, (m) => m.key, (m) => m.label);
    $("param-path").value = params.length ? params[0].path : "";
    $("seed").value = doc.seed ?? 1;
  }
  await load(scenarioId);
  $("scenario").addEventListener("change", () => load($("scenario").value));
  $("param").addEventListener("change", () => {
    $("param-path").value = $("param").value;
  });
  $("metric").addEventListener("change", () => {
    draw();
    if (lastBatch) renderTable(lastBatch);
  });

  function draw() {
    const metric = metrics.find((m) => m.key === $("metric").value) || metrics[0];
    const many = points.some((p) => p.seeds > 1);
    const done = points.filter((p) => (many ? p.stats && p.stats[metric.stat]?.n : p.result)).sort((a, b) => a.value - b.value);
    const x = done.map((p) => p.value);
    const param = $("param-path").value;
    const box = $("sweep-plot");
    if (plot) plot.destroy();
    box.replaceChildren();
    const width = Math.max(360, (box.clientWidth || 800) - 20);
    if (!many) {
      const y = done.map((p) => metric.read(p.result));
      plot = new uPlot(
        {
          width,
          height: 320,
          scales: { x: { time: false } },
          axes: [{ label: param, size: 40 }, { label: metric.label, size: 60 }],
          series: [{ label: param }, { label: metric.label, stroke: "#2563eb", width: 2, points: { show: true, size: 7 } }],
        },
        [x, y],
        box,
      );
      window.mscommSweep = { points: x.length, x, y, total: points.length, metric: metric.key, seeds: 1 };
      return;
    }
    const stat = (name) => done.map((p) => p.stats[metric.stat][name] ?? null);
    const ci = (i) => done.map((p) => (p.stats[metric.stat].ci95 || [null, null])[i]);
    const [mean, lo, hi, p10, p90] = [stat("mean"), ci(0), ci(1), stat("p10"), stat("p90")];
    const edge = (label, stroke) => ({ label, stroke, width: 1, dash: [4, 4], points: { show: false } });
    plot = new uPlot(
      {
        width,
        height: 320,
        scales: { x: { time: false } },
        axes: [{ label: param, size: 40 }, { label: metric.label, size: 60 }],
        series: [
          { label: param },
          { label: `${metric.label}: mean`, stroke: "#2563eb", width: 2, points: { show: true, size: 7 } },
          edge("95 % interval, low", "#60a5fa"),
          edge("95 % interval, high", "#60a5fa"),
          edge("P10", "#cbd5e1"),
          edge("P90", "#cbd5e1"),
        ],
        // Fill between each pair: the interval of the mean, and where most seeds fall.
        bands: [
          { series: [3, 2], fill: "rgba(37, 99, 235, 0.25)" },
          { series: [5, 4], fill: "rgba(148, 163, 184, 0.18)" },
        ],
      },
      [x, mean, lo, hi, p10, p90],
      box,
    );
    const n = done.map((p) => p.stats[metric.stat].n);
    window.mscommSweep = { points: x.length, x, y: mean, lo, hi, p10, p90, n, total: points.length, metric: metric.key, seeds: Math.max(...points.map((p) => p.seeds)) };
  }

  $("btn-sweep").addEventListener("click", async () => {
    const path = $("param-path").value.trim();
    const known = params.find((p) => p.path === path);
    let values;
    if ($("values").value.trim()) {
      values = $("values").value.split(",").map((v) => Number(v.trim())).filter((v) => Number.isFinite(v));
    } else {
      values = spread(Number($("from").value), Number($("to").value), Number($("points").value), known ? known.integer : false);
    }
    const seed = $("seed").value === "" ? null : Number($("seed").value);
    const seeds = Number($("seeds").value || 1);
    $("btn-sweep").disabled = true;
    $("sweep-status").textContent = "starting…";
    $("sweep-spread").classList.add("hidden");
    try {
      const batch = await api("runs/batch", { method: "POST", body: { scenario_id: scenarioId, seed, param: path, values, seeds } });
      points = values.map((value) => ({ value, result: null, stats: null, seeds }));
      $("sweep-legend").textContent =
        seeds > 1 ? `Each point ${overSeeds(seeds)}: the line is the mean, the blue band its 95 % interval, the grey band P10–P90 of the seeds.` : ONE_SEED;
      await follow(batch.id);
    } catch (err) {
      const problems = err.problems.map((p) => `${p.loc}: ${p.msg}`).join("; ");
      $("sweep-status").textContent = `could not sweep: ${problems || err.message}`;
    } finally {
      $("btn-sweep").disabled = false;
    }
  });

  async function follow(batchId) {
    for (;;) {
      const batch = await api(`runs/batch/${encodeURIComponent(batchId)}`);
      const n = batch.variants.length;
      let progress = 0;
      let finished = 0;
      batch.variants.forEach((v, i) => {
        const over = v.seeds.done === v.seeds.total;
        finished += over ? 1 : 0;
        progress += over ? 1 : v.seeds.done / v.seeds.total;
        if (points[i]) Object.assign(points[i], { result: v.result, stats: v.stats });
      });
      $("sweep-progress").value = n ? progress / n : 0;
      const runs = batch.seeds > 1 ? ` · ${batch.progress.done} of ${batch.progress.total} runs` : "";
      $("sweep-status").textContent = `${finished} of ${n} points done${runs}`;
      draw();
      if (batch.seeds > 1) renderTable(batch);
      if (batch.done) {
        const failed = batch.variants.filter((v) => v.run.state !== "succeeded").length;
        $("sweep-status").textContent = `done: ${n} points${failed ? `, ${failed} without a result` : ""}`;
        lastBatch = batch;
        renderTable(batch);
        return;
      }
      await sleep(500);
    }
  }

  function renderTable(batch) {
    const metric = metrics.find((m) => m.key === $("metric").value) || metrics[0];
    const many = batch.seeds > 1;
    const titles = [batch.param, many ? "first seed" : "run", many ? `${metric.label}: mean [95 %]` : metric.label];
    if (many) titles.push("P10–P90", "seeds");
    const head = el("tr", {}, titles.map((t) => el("th", { text: t })));
    const rows = batch.variants.map((v, index) => {
      const s = (v.stats || {})[metric.stat];
      const cells = [
        el("td", { class: "num", text: fmt(v.variant.value, 3) }),
        el("td", {}, el("a", { href: `/runs/${encodeURIComponent(v.run.id)}/requests/`, text: v.run.state })),
      ];
      if (!many) cells.push(el("td", { class: "num", text: v.result ? fmt(metric.read(v.result), 3) : "–" }));
      else {
        cells.push(
          el("td", { class: "num", text: meanInterval(s, 3) }),
          el("td", { class: "num", text: s && s.n ? `${fmt(s.p10, 3)} – ${fmt(s.p90, 3)}` : "–" }),
          el("td", { class: "num", text: `${v.seeds.succeeded} of ${v.seeds.total}` }),
        );
      }
      const tr = el("tr", many ? { class: "pickable", tabindex: 0, dataset: { index: String(index) } } : {}, cells);
      if (many) tr.addEventListener("click", () => showSpread(batch, index, metric));
      return tr;
    });
    replace($("sweep-table"), el("table", { class: "diff" }, el("thead", {}, head), el("tbody", {}, rows)));
  }

  async function showSpread(batch, index, metric) {
    const box = $("sweep-spread");
    box.classList.remove("hidden");
    const values = await api(`runs/batch/${encodeURIComponent(batch.id)}/values?key=${encodeURIComponent(metric.stat)}`);
    const value = fmt(batch.variants[index].variant.value, 3);
    spreadChart(box, { title: `${metric.label} at ${batch.param} = ${value}: across seeds`, series: [{ label: `${batch.param} = ${value}`, values: values.variants[index].values }] });
  }
}

main().catch((err) => {
  const status = document.getElementById("sweep-status");
  if (status) status.textContent = `could not load: ${err.message}`;
  throw err;
});
