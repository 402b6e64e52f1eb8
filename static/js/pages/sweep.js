/**
 * The sweep page (`/sweeps/new?scenario=<id>`): vary one field over a range, run every
 * point as a batch fanned out over the workers (POST /api/runs/batch), show progress,
 * and plot the chosen metric against the parameter as the points finish.
 */
import uPlot from "../../vendor/uplot/uPlot.esm.js";
import { api } from "../api.js";
import { el, fmt, replace } from "../dom.js";
import { spread, sweepMetrics, sweepParams } from "../analysis/sweep-model.js";
import { isFinal } from "../run/states.js";

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
  let points = []; // [{value, result}]
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
    const done = points.filter((p) => p.result).sort((a, b) => a.value - b.value);
    const data = [done.map((p) => p.value), done.map((p) => metric.read(p.result))];
    if (plot) plot.destroy();
    const box = $("sweep-plot");
    box.replaceChildren();
    plot = new uPlot(
      {
        width: Math.max(360, (box.clientWidth || 800) - 20),
        height: 320,
        scales: { x: { time: false } },
        axes: [{ label: $("param-path").value, size: 40 }, { label: metric.label, size: 60 }],
        series: [{ label: $("param-path").value }, { label: metric.label, stroke: "#2563eb", width: 2, points: { show: true, size: 7 } }],
      },
      data,
      box,
    );
    window.mscommSweep = { points: data[0].length, x: data[0], y: data[1], total: points.length, metric: metric.key };
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
    $("btn-sweep").disabled = true;
    $("sweep-status").textContent = "starting…";
    try {
      const batch = await api("runs/batch", { method: "POST", body: { scenario_id: scenarioId, seed, param: path, values } });
      points = values.map((value) => ({ value, result: null }));
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
        const over = isFinal(v.run.state);
        finished += over ? 1 : 0;
        progress += over ? 1 : v.run.progress || 0;
        if (v.result && points[i]) points[i].result = v.result;
      });
      $("sweep-progress").value = n ? progress / n : 0;
      $("sweep-status").textContent = `${finished} of ${n} points done`;
      draw();
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
    const head = el("tr", {}, el("th", { text: batch.param }), el("th", { text: "run" }), el("th", { text: metric.label }));
    const rows = batch.variants.map((v) =>
      el(
        "tr",
        {},
        el("td", { class: "num", text: fmt(v.variant.value, 3) }),
        el("td", {}, el("a", { href: `/runs/${encodeURIComponent(v.run.id)}/requests/`, text: v.run.state })),
        el("td", { class: "num", text: v.result ? fmt(metric.read(v.result), 3) : "–" }),
      ),
    );
    replace($("sweep-table"), el("table", { class: "diff" }, el("thead", {}, head), el("tbody", {}, rows)));
  }
}

main().catch((err) => {
  const status = document.getElementById("sweep-status");
  if (status) status.textContent = `could not load: ${err.message}`;
  throw err;
});
