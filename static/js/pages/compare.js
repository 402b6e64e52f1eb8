/**
 * The compare page (`/compare/<a>/<b>/`): both topologies played back in step by one clock
 * (play/pause and one seek bar drive both from their stored frames), the table of metric
 * differences and the two timelines overlaid on one chart per metric.
 *
 * When A and B are the first seeds of a two-variant batch over several seeds, the table is
 * the batch's paired differences with their intervals, tightening live as seeds finish;
 * otherwise it is one seed against one, and the page says what that cannot tell. "Run N
 * seeds" reruns both scenarios as such a batch.
 */
import { api } from "../api.js";
import { el, replace } from "../dom.js";
import { createGraph } from "../graph/create.js";
import { diffTable, seedTable } from "../analysis/difftable.js";
import { overSeeds } from "../analysis/intervals.js";
import { overlayCharts } from "../analysis/overlay-charts.js";
import { createScrubber } from "../analysis/scrubber.js";
import { sloBadges, sloShareBadges } from "../analysis/slo-badges.js";
import { spreadChart } from "../analysis/spread.js";
import { loadFrames } from "../replay/frames.js";
import { isFinal } from "../run/states.js";
import { fillSpeeds } from "../speeds.js";
import { createNarration, incidentTime } from "../run/narration.js";

const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function untilFinished(a, b) {
  for (;;) {
    const body = await api(`compare/${a}/${b}`);
    const runs = [body.a, body.b];
    $("cmp-status").textContent = runs.map((r, i) => `${"AB"[i]}: ${r.state} ${Math.round((r.progress || 0) * 100)} %`).join(" · ");
    $("cmp-progress").value = (runs[0].progress + runs[1].progress) / 2;
    if (runs.every((r) => isFinal(r.state))) return body;
    await sleep(700);
  }
}

/** Every stored frame of a run, in seq order. */
async function runFrames(runId) {
  const index = await loadFrames((since) => api(`runs/${encodeURIComponent(runId)}/frames?since=${since}`));
  return index.frames;
}

async function side(key, run, seeded) {
  const [snapshot, frames] = await Promise.all([api(`runs/${run.id}/scenario`), runFrames(run.id)]);
  $(`name-${key}`).textContent = snapshot.name;
  if (!seeded && (snapshot.slos || []).length) {
    // One run's SLOs; over seeds, followSeeds shows in how many seeds each held instead.
    api(`runs/${run.id}/result`)
      .then((result) => replace($(`slos-${key}`), sloBadges(result.slos, snapshot.slos)))
      .catch(() => {});
  }
  // Sweep points keep no frames: their numbers still compare, their playback stays still.
  const kept = frames.length ? "" : " · no frames kept, nothing to play";
  $(`meta-${key}`).textContent = `seed ${run.seed} · ${run.state}${kept}`;
  $(`open-${key}`).href = `/runs/${encodeURIComponent(run.id)}/requests/`;
  const cy = createGraph($(`graph-${key}`), snapshot);
  return { doc: snapshot, scrubber: createScrubber({ cy, canvas: $(`particles-${key}`), frames }) };
}

/** The batch behind A and B when they are its two variants' first seeds over several seeds. */
async function seededBatch(a, b) {
  const first = await api(`compare/${a}/${b}`);
  const batchId = first.a.batch_id;
  if (!batchId || batchId !== first.b.batch_id) return { first, batch: null };
  const batch = await api(`runs/batch/${encodeURIComponent(batchId)}`);
  const ids = batch.variants.map((v) => v.run.id);
  const paired = batch.variants.length === 2 && ids[0] === a && ids[1] === b;
  return { first, batch: paired ? batch : null };
}

async function showSpread(batchId, row) {
  const box = $("cmp-spread");
  box.classList.remove("hidden");
  const values = await api(`runs/batch/${encodeURIComponent(batchId)}/values?key=${encodeURIComponent(row.key)}`);
  spreadChart(box, {
    title: `${row.label}: across seeds`,
    series: values.variants.map((v, i) => ({ label: "AB"[i], values: v.values })),
  });
}

/** Poll the batch, redrawing the table and the progress count until every seed is in. */
async function followSeeds(batch) {
  let shown = null;
  const seen = [];
  for (;;) {
    const n = batch.diff ? batch.diff.reduce((most, row) => Math.max(most, row.n || 0), 0) : 0;
    const { done, total } = batch.progress;
    $("cmp-seeds-status").textContent = batch.done
      ? `all ${total} runs done: intervals ${overSeeds(n)}`
      : `${done} of ${total} runs done · intervals ${overSeeds(n)} so far`;
    if (batch.diff && n !== shown) {
      shown = n;
      replace($("diff"), seedTable(batch.diff, { onPick: (row) => showSpread(batch.id, row) }));
    }
    seen.push({ done, n });
    batch.variants.forEach((v, i) => {
      if (v.slos.length) replace($(`slos-${"ab"[i]}`), sloShareBadges(v.slos));
    });
    window.mscommSeeds = { done, total, n, finished: batch.done, diff: batch.diff, seen, slos: batch.variants.map((v) => v.slos) };
    if (batch.done) return batch;
    await sleep(700);
    batch = await api(`runs/batch/${encodeURIComponent(batch.id)}`);
  }
}

/** "Run N seeds": both runs' scenarios as one batch over N seeds from A's seed. */
function offerSeeds(first) {
  const form = $("cmp-seeds-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    $("btn-seeds").disabled = true;
    $("cmp-seeds-status").textContent = "starting…";
    try {
      const [docA, docB] = await Promise.all([api(`runs/${first.a.id}/scenario`), api(`runs/${first.b.id}/scenario`)]);
      const scenarioId = first.a.scenario_id || first.b.scenario_id;
      if (!scenarioId) throw new Error("both runs' scenarios were deleted");
      const seeds = Number($("cmp-seeds").value);
      const batch = await api("runs/batch", { method: "POST", body: { scenario_id: scenarioId, seed: first.a.seed, variants: [docA, docB], seeds } });
      const [a, b] = batch.variants.map((v) => encodeURIComponent(v.run.id));
      location.assign(`/compare/${a}/${b}/`);
    } catch (err) {
      const problems = (err.problems || []).map((p) => `${p.loc}: ${p.msg}`).join("; ");
      $("cmp-seeds-status").textContent = `could not start: ${problems || err.message}`;
      $("btn-seeds").disabled = false;
    }
  });
}

async function main() {
  const { runA, runB } = $("main").dataset;
  const { first, batch } = await seededBatch(runA, runB);
  offerSeeds(first);
  const seeded = batch && batch.seeds > 1;
  if (seeded) $("cmp-seeds").value = String(batch.seeds);
  $("cmp-one-seed").classList.toggle("hidden", Boolean(seeded));
  const seeds = seeded ? followSeeds(batch) : null;
  const body = await untilFinished(runA, runB);
  $("cmp-progress").classList.add("hidden");
  const [a, b] = await Promise.all([side("a", body.a, seeded), side("b", body.b, seeded)]);
  const endS = Math.max(a.scrubber.endT, b.scrubber.endT);
  const seek = $("seek");
  fillSpeeds($("cmp-speed"), 1);
  seek.max = String(endS);

  let t = 0;
  let playing = false;
  let last = null;
  const speed = () => Number($("cmp-speed").value);
  const goTo = (inc) => window.mscommCompare.seek(inc.t);
  const told = {
    a: createNarration($("narration-a"), { onPick: goTo }).add(body.incidents && body.incidents.a),
    b: createNarration($("narration-b"), { onPick: goTo }).add(body.incidents && body.incidents.b),
  };
  showDivergence(body.divergence, goTo);
  function show() {
    a.scrubber.show(t, speed());
    b.scrubber.show(t, speed());
    told.a.at(t);
    told.b.at(t);
    seek.value = String(t);
    $("cmp-clock").textContent = `t = ${t.toFixed(2)} s of ${endS.toFixed(1)} s`;
  }
  function loop(ms) {
    if (playing) {
      if (last !== null) t = Math.min(endS, t + ((ms - last) / 1000) * speed());
      last = ms;
      if (t >= endS) setPlaying(false);
    }
    show();
    requestAnimationFrame(loop);
  }
  function setPlaying(on) {
    playing = on;
    last = null;
    $("btn-play").textContent = on ? "Pause" : "Play";
    $("btn-play").setAttribute("aria-pressed", String(on));
  }
  $("btn-play").addEventListener("click", () => {
    if (!playing && t >= endS) t = 0;
    setPlaying(!playing);
  });
  seek.addEventListener("input", () => {
    t = Number(seek.value);
    show();
  });
  requestAnimationFrame(loop);
  window.mscommCompare = {
    seek(value) {
      t = Math.max(0, Math.min(endS, value));
      show();
      return this.stats();
    },
    stats: () => ({ t, playing, endS, a: a.scrubber.stats(), b: b.scrubber.stats() }),
  };

  // Over seeds, followSeeds keeps the table up to date; two single runs have theirs now.
  if (!seeds && body.rows) replace($("diff"), diffTable(body.rows));
  else if (!seeds) replace($("diff"), el("p", { class: "muted", text: "A run did not finish with a result: nothing to compare." }));
  const width = Math.max(300, Math.floor(($("cmp-charts").clientWidth || 900) / 2) - 32);
  overlayCharts($("cmp-charts"), body.timelines, { labels: [`A ${a.doc.name}`, `B ${b.doc.name}`], width });
  $("cmp-status").textContent = "Both runs are over: play or seek to watch them side by side.";
  if (seeds) await seeds;
}

/** The first incident that differs: both sentences, and a button to go to that moment. */
function showDivergence(split, goTo) {
  const box = $("divergence");
  if (!split) {
    box.textContent = "The two runs tell the same story: no incident differs.";
    return;
  }
  const side = (key, inc) =>
    el("li", {}, el("span", { class: `tag tag-${key}`, text: key.toUpperCase() }), " ", inc ? `${incidentTime(inc.t)}: ${inc.text}` : "nothing more happens.");
  replace(
    box,
    el("button", { type: "button", id: "btn-divergence", onclick: () => goTo(split) }, `Go to ${incidentTime(split.t)}`),
    el("ul", { class: "divergence-list" }, side("a", split.a), side("b", split.b)),
  );
  box.classList.remove("muted");
}

main().catch((err) => {
  const status = document.getElementById("cmp-status");
  if (status) status.textContent = `could not load the comparison: ${err.message}`;
  throw err;
});
