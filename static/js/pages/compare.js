/**
 * The compare page (`/compare/<a>/<b>/`): both topologies played back in step by one clock
 * (play/pause and one seek bar drive both from their stored frames), the table of metric
 * differences and the two timelines overlaid on one chart per metric.
 */
import { api } from "../api.js";
import { el, replace } from "../dom.js";
import { createGraph } from "../graph/create.js";
import { diffTable } from "../analysis/difftable.js";
import { overlayCharts } from "../analysis/overlay-charts.js";
import { createScrubber } from "../analysis/scrubber.js";
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

async function side(key, run) {
  const [snapshot, frames] = await Promise.all([api(`runs/${run.id}/scenario`), runFrames(run.id)]);
  $(`name-${key}`).textContent = snapshot.name;
  // Sweep points keep no frames: their numbers still compare, their playback stays still.
  const kept = frames.length ? "" : " · no frames kept, nothing to play";
  $(`meta-${key}`).textContent = `seed ${run.seed} · ${run.state}${kept}`;
  $(`open-${key}`).href = `/runs/${encodeURIComponent(run.id)}/requests/`;
  const cy = createGraph($(`graph-${key}`), snapshot);
  return { doc: snapshot, scrubber: createScrubber({ cy, canvas: $(`particles-${key}`), frames }) };
}

async function main() {
  const { runA, runB } = $("main").dataset;
  const body = await untilFinished(runA, runB);
  $("cmp-progress").classList.add("hidden");
  const [a, b] = await Promise.all([side("a", body.a), side("b", body.b)]);
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

  if (body.rows) replace($("diff"), diffTable(body.rows));
  else replace($("diff"), el("p", { class: "muted", text: "A run did not finish with a result: nothing to compare." }));
  const width = Math.max(300, Math.floor(($("cmp-charts").clientWidth || 900) / 2) - 32);
  overlayCharts($("cmp-charts"), body.timelines, { labels: [`A ${a.doc.name}`, `B ${b.doc.name}`], width });
  $("cmp-status").textContent = "Both runs are over: play or seek to watch them side by side.";
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
