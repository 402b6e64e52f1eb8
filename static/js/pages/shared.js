/**
 * A share link's page (`/s/<token>`): the scenario's topology read-only, or a run: watched
 * live while it runs, then replayed with the scrubber (opening at a `#t=` playhead), with
 * its result. Anyone may run a copy or fork it into their own workspace; nothing here can
 * change or control the owner's things.
 */
import { api, ApiError } from "../api.js";
import { fmt } from "../dom.js";
import { createGraph } from "../graph/create.js";
import { legend } from "../graph/legend.js";
import { createPlayer } from "../player/player.js";
import { mountReplay } from "../replay/mount.js";
import { mountCapture } from "../run/capture.js";
import { createCharts } from "../run/charts.js";
import { createFollow } from "../run/follow.js";
import { createNarration } from "../run/narration.js";
import { renderResult } from "../run/results.js";
import { createSeries } from "../run/series.js";
import { createStream } from "../run/stream.js";
import { isFinal } from "../run/states.js";
import { createTimeline } from "../run/timeline.js";
import { current } from "../current.js";

const $ = (id) => document.getElementById(id);

function status(text, kind = "") {
  $("shared-status").textContent = text;
  $("shared-status").className = `status ${kind}`;
}

let timeline = null;
let narration = null;
let replayShown = null; // the replay once the run is over

function showNumbers(s, t) {
  if (timeline) timeline.at(t);
  const q = (s && s.requests) || {};
  $("live-requests").textContent = `t = ${t.toFixed(2)} s · arrived ${fmt(q.arrived)} · succeeded ${fmt(q.succeeded)} · failed ${fmt(q.failed)} · in flight ${fmt(q.in_flight)}`;
}

function showRunState(run) {
  const badge = $("run-state");
  badge.textContent = run.state;
  badge.className = `badge ${run.state}`;
}

async function main() {
  const token = $("main").dataset.token;
  const base = `shares/t/${encodeURIComponent(token)}`;
  const shared = await api(base);
  const doc = shared.doc;
  const endS = (doc.duration_s ?? 60) + (doc.drain_s ?? 30);
  document.title = `${shared.name} · shared · mscomm`;
  $("shared-title").textContent = shared.name;
  $("shared-description").textContent = doc.description || "";
  $("shared-expiry").textContent = shared.expires_at ? `This link works until ${new Date(shared.expires_at).toLocaleString()}.` : "";
  $("legend").append(legend({ messages: shared.kind === "run" }));
  const cy = createGraph($("graph"), doc); // not editable: nothing can be dragged or changed
  timeline = createTimeline($("timeline"), endS);
  for (const f of doc.faults || []) timeline.fault(f);
  for (const f of (shared.run && shared.run.faults_injected) || []) timeline.fault(f, { injected: true });
  window.mscommShared = { cy, shared };
  current.setGraph(cy);

  $("btn-run-copy").addEventListener("click", () =>
    act(`${base}/run`, { seed: shared.run ? shared.run.seed : null, speed: shared.run ? shared.run.speed : null }, (run) => `/runs/${encodeURIComponent(run.id)}/`),
  );
  $("btn-fork").addEventListener("click", () => act(`${base}/fork`, undefined, (scenario) => `/scenarios/${encodeURIComponent(scenario.id)}/`));

  if (shared.kind !== "run") {
    $("hint").textContent = "A shared scenario, read-only. Run it yourself to watch it, or fork it to change your own copy.";
    // Nothing moves on a scenario: no particles, playhead or numbers of a moment.
    for (const id of ["particles", "timeline-now", "stats", "follow"]) $(id).classList.add("hidden");
    return;
  }
  const run = shared.run;
  showRunState(run);
  const follow = createFollow({ cy, stage: $("graph").parentElement, panel: $("follow"), doc });
  window.mscommFollow = follow; // a test hook
  window.mscommCapture = mountCapture({
    stage: $("graph").parentElement,
    toolbar: $("capture"),
    name: () => `mscomm-shared-t${(current.replay ? current.replay.t : 0).toFixed(2)}`,
    replay: () => current.replay,
  });
  $("narration").classList.remove("hidden");
  narration = createNarration($("narration"), {
    onPick: (inc) => {
      if (replayShown) replayShown.pause().seek(inc.t);
      else $("hint").textContent = `${inc.t.toFixed(1)} s: ${inc.text} (the replay can go back to it once the run is over)`;
    },
  });
  window.mscommNarration = narration;
  const replay = () => showReplay({ cy, base, run, endS, doc, follow });
  if (isFinal(run.state)) {
    await replay();
    return;
  }
  // Still running: watch it live through the link (the server refuses any control).
  $("hint").textContent = "This run is live. It becomes a replay when it ends.";
  const player = createPlayer({ cy, canvas: $("particles"), speed: run.speed || 0.05 });
  window.mscommPlayer = player;
  player.on("state", showNumbers);
  player.on("frame", (frame) => follow.observe(frame));
  // Watching through a link cannot pause the owner's run: breakpoints only report.
  follow.use({ clock: () => player.stats().simNow, playing: () => true, pause: () => {}, speed: () => player.speed() });
  player.on("frame", (frame) => narration.add(frame.incidents));
  player.on("tick", (t) => narration.at(t));
  const stream = createStream(null, { path: `/ws/shares/${encodeURIComponent(token)}/` });
  stream
    .on("frame", (frame) => player.push(frame))
    .on("status", (s) => status(s === "open" ? "live" : s))
    .on("run", (r) => {
      showRunState(r);
      if (!isFinal(r.state)) return;
      stream.close();
      player.stop();
      window.mscommPlayer = null;
      replay().catch((err) => status(`could not load the replay: ${err.message}`, "error"));
    });
  stream.open();
  player.start();
}

async function showReplay({ cy, base, run, endS, doc, follow }) {
  $("hint").textContent = `This run ${run.state}. Play it, drag the timeline, or step frame by frame (← →).`;
  const replay = await mountReplay({
    cy,
    canvas: $("particles"),
    container: $("replay"),
    fetchPage: (since) => api(`${base}/frames?since=${since}`),
    speed: run.speed || 0.05,
    endS,
  });
  if (replay) {
    replay.on("state", showNumbers);
    follow
      .reset()
      .observeAll(replay.frames)
      .use({ clock: () => replay.t, playing: () => replay.playing, pause: (t) => replay.pause().seek(t), speed: () => replay.speed() });
    replay.on("time", (t) => narration.at(t));
    replayShown = replay;
  }
  if (replay && replay.player && replay.player.state) showNumbers(replay.player.state, replay.t);
  try {
    const result = await api(`${base}/result`);
    narration.add(result.incidents);
    if (replay) narration.at(replay.t);
    renderResult($("results"), result);
    $("results").classList.remove("hidden");
    const services = (doc.nodes || []).filter((n) => n.kind === "service").map((n) => n.id);
    const series = createSeries(services);
    series.fromTimeline(result.timeline);
    createCharts($("charts"), services).update(series, true);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
}

async function act(path, body, next) {
  try {
    const made = await api(path, { method: "POST", body });
    location.assign(next(made));
  } catch (err) {
    const wait = err instanceof ApiError && err.status === 429 ? " (too many: wait a while)" : "";
    status(`${err.message}${wait}`, "error");
  }
}

main().catch((err) => {
  status(`could not load this link: ${err.message}`, "error");
  throw err;
});
