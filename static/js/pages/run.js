/**
 * The run view (`/runs/<id>/`): the graph with the live animation, controls, charts, fault
 * timeline and, once the run is over, the result as tables. Frames come over the websocket;
 * a reload catches up from the stored frames and carries on live.
 */
import { api } from "../api.js";
import { fmt } from "../dom.js";
import { createGraph } from "../graph/create.js";
import { legend } from "../graph/legend.js";
import { createPlayer } from "../player/player.js";
import { mountReplay } from "../replay/mount.js";
import { mountCapture } from "../run/capture.js";
import { createCharts } from "../run/charts.js";
import { createDetails } from "../run/details.js";
import { createFollow } from "../run/follow.js";
import { createInjectPanel } from "../run/inject.js";
import { createNarration } from "../run/narration.js";
import { renderResult } from "../run/results.js";
import { createSeries } from "../run/series.js";
import { createStream } from "../run/stream.js";
import { isFinal } from "../run/states.js";
import { createTimeline } from "../run/timeline.js";
import { current } from "../current.js";
import { fillSpeeds, selectSpeed } from "../speeds.js";

const $ = (id) => document.getElementById(id);

async function main() {
  const runId = document.getElementById("main").dataset.runId;
  const [run, snapshot] = await Promise.all([api(`runs/${runId}`), api(`runs/${runId}/scenario`)]);
  const doc = snapshot && snapshot.doc ? snapshot.doc : snapshot;
  const endS = (doc.duration_s ?? 60) + (doc.drain_s ?? 30);
  document.title = `${doc.name} · run · mscomm`;
  $("run-title").textContent = doc.name;
  $("seed").value = run.seed ?? doc.seed ?? 1;
  $("link-edit").href = `/scenarios/${encodeURIComponent(run.scenario_id)}/`;
  if (!run.scenario_id) {
    // A copy run from a share link: its scenario is someone else's (fork it to change it).
    $("link-edit").classList.add("hidden");
    $("btn-rerun").disabled = true;
    $("btn-rerun").title = "This run's scenario is not in your workspace: fork it from its link to run it again.";
  }
  $("legend").append(legend({ messages: true }));

  const cy = createGraph($("graph"), doc, { scene: true });
  // Frames wait for the layout (stored ones catch up): nothing moves under the pointer later.
  await cy.scratch("sceneLayout");
  const wasOver = isFinal(run.state);
  const player = createPlayer({ cy, canvas: $("particles"), speed: run.speed || 0.05 });
  window.mscommPlayer = player;
  window.mscommRun = { cy }; // a test hook; modules use current.js
  current.setGraph(cy);
  const services = (doc.nodes || []).filter((n) => n.kind === "service").map((n) => n.id);
  // About two chart points per wall second at the run's speed, and at most ~4000 in all.
  const series = createSeries(services, { every: Math.max(endS / 4000, Math.min(endS / 400, (run.speed || 0.05) * 0.5)) });
  const charts = createCharts($("charts"), services);
  const timeline = createTimeline($("timeline"), endS);
  for (const f of doc.faults || []) timeline.fault(f);
  fillSpeeds($("speed"), run.speed || 0.05);

  let state = run.state;
  let paused = false;
  const stream = createStream(runId);
  const follow = createFollow({ cy, stage: $("graph").parentElement, panel: $("follow"), doc });
  window.mscommFollow = follow; // a test hook
  window.mscommCapture = mountCapture({
    stage: $("graph").parentElement,
    toolbar: $("capture"),
    name: () => `mscomm-run-${runId}-t${(current.replay ? current.replay.t : player.stats().simNow).toFixed(2)}`,
    replay: () => current.replay,
  });
  const failedAndSlowest = () => api(`runs/${runId}/requests?size=20`).then((body) => body.sample);
  const exactEvents = (corr) => api(`runs/${runId}/requests/${encodeURIComponent(corr)}/events`).then((body) => body.events);
  follow.use({
    clock: () => player.stats().simNow,
    playing: () => !paused && !isFinal(state),
    // Live, a breakpoint is the Pause button: the run stops where the server is.
    pause: () => {
      if (!paused) $("btn-pause").click();
    },
    speed: () => player.speed(),
    // Followed messages go from the instance box that sent them to the one that handled it.
    placeOf: (endpoint) => player.placeOf(endpoint),
    cellAt: (x, y) => player.cellAt(x, y),
  });
  // "What happened": sentences from the frames (live) or the result; a click seeks there.
  const narration = createNarration($("narration"), { onPick: (inc) => pickIncident(inc) });
  window.mscommNarration = narration;
  function pickIncident(inc) {
    if (replayLoad || isFinal(state)) {
      // Over: open the replay (if it is not yet) and go to that moment.
      showReplay({ startAt: inc.t }).then((replay) => replay && replay.pause().seek(inc.t));
      return;
    }
    // Live, the moment cannot be replayed yet: point at what it is about.
    const target = inc.link ? cy.getElementById(`link:${inc.link}`) : cy.getElementById(inc.node || "");
    cy.elements().unselect();
    if (target && target.length) target.select();
    $("hint").textContent = `${inc.t.toFixed(1)} s: ${inc.text} (the replay can go back to it once the run is over)`;
  }
  createInjectPanel({
    cy,
    send: (action) => stream.send(action),
    now: () => player.stats().simNow,
    onInjected: (fault) => timeline.fault(fault, { injected: true }),
  });

  let runSpeed = run.speed;
  function showRun(r) {
    // The owner changed the speed (another tab; a reconnect reads the stored one): follow it.
    if (typeof r.speed === "number" && r.speed !== runSpeed) {
      runSpeed = r.speed;
      selectSpeed($("speed"), r.speed);
      useSpeed(r.speed);
    }
    state = r.state;
    const badge = $("run-state");
    badge.textContent = r.state + (paused && r.state === "running" ? " (paused)" : "");
    badge.className = `badge ${r.state}`;
    if (typeof r.progress === "number") $("run-progress").value = r.progress;
    for (const f of r.faults_injected || []) timeline.fault(f, { injected: true });
    const over = isFinal(r.state);
    for (const id of ["btn-pause", "btn-stop", "btn-inject"]) if (over) $(id).disabled = true;
    $("btn-replay").disabled = !over;
    if (r.error) $("conn-status").textContent = r.error;
    if (over) finish(r);
  }

  let finished = false;
  async function finish(r) {
    if (finished) return;
    finished = true;
    player.finish();
    follow.use({ exact: exactEvents, sample: failedAndSlowest });
    $("hint").textContent = `The run ${r.state}. Replay it, or change the seed and run again.`;
    try {
      const result = await api(`runs/${runId}/result`);
      const box = $("results");
      narration.add(result.incidents);
      renderResult(box, result, doc);
      box.classList.remove("hidden");
      series.fromTimeline(result.timeline);
      charts.update(series, true);
    } catch (err) {
      // A run that failed or was cancelled early may have no result: that is not an error.
      if (err.status !== 404) $("conn-status").textContent = `result unavailable: ${err.message}`;
    }
  }

  player.on("frame", (frame) => {
    follow.observe(frame);
    narration.add(frame.incidents);
    if (series.add(frame)) charts.update(series);
    $("run-progress").value = Math.min(1, frame.t / endS);
  });
  player.on("fault", (e) => {
    const target = e.link ? cy.getElementById(`link:${e.link}`) : cy.getElementById(e.node);
    target.toggleClass("faulted", e.kind === "fault_start");
    if (e.kind === "fault_start") timeline.fault({ target: e.link || e.node, mode: e.mode, from_s: e.t, to_s: e.to_s }, { injected: true });
  });
  const details = createDetails(cy);
  function showState(s, t) {
    details.update(s);
    const q = s.requests || {};
    const w = { working: 0, blocked: 0, idle: 0, queue: 0, down: 0 };
    for (const svc of Object.values(s.services || {})) {
      for (const i of svc.instances || []) {
        for (const k of ["working", "blocked", "idle", "queue"]) w[k] += i[k] || 0;
        if (!i.up) w.down += 1;
      }
    }
    $("live-requests").textContent = `requests: arrived ${fmt(q.arrived)} · succeeded ${fmt(q.succeeded)} · failed ${fmt(q.failed)} · in flight ${fmt(q.in_flight)}`;
    $("live-workers").textContent = `workers: busy ${fmt(w.working)} · blocked on sync ${fmt(w.blocked)} · idle ${fmt(w.idle)} · queued requests ${fmt(w.queue)}${w.down ? ` · instances down ${w.down}` : ""}`;
    $("run-clock").textContent = `t = ${t.toFixed(2)} s of ${endS} s`;
    timeline.at(t);
  }
  player.on("state", showState);
  player.on("tick", (t) => narration.at(t));

  /** A finished run plays from its stored frames, with the scrubber (replay/). */
  let replayLoad = null; // resolves to the replay (null without frames)
  function showReplay(options = {}) {
    if (!replayLoad) {
      replayLoad = mountRunReplay(options).catch((err) => {
        $("conn-status").textContent = `replay unavailable: ${err.message}`;
        return null;
      });
    } else if (options.play) {
      // Already replaying (or loading): the Replay button plays it again from the start.
      replayLoad.then((replay) => replay && replay.seek(options.startAt ?? 0).play());
    }
    return replayLoad;
  }
  async function mountRunReplay(options) {
    player.stop();
    stream.close();
    // The live player is done: until the replay's own is ready there is none to ask.
    window.mscommPlayer = null;
    const replay = await mountReplay({
      cy,
      canvas: $("particles"),
      container: $("replay"),
      fetchPage: (since) => api(`runs/${runId}/frames?since=${since}`),
      // The toolbar's speed (the run's own until changed) paces the replay too.
      speed: Number($("speed").value) || run.speed || 0.05,
      endS,
      ...options,
    });
    if (!replay) return null;
    replay.on("state", showState);
    follow
      .reset()
      .observeAll(replay.frames)
      .use({
        clock: () => replay.t,
        playing: () => replay.playing,
        // A breakpoint in the replay stops the scrubber at the very moment.
        pause: (t) => replay.pause().seek(t),
        speed: () => replay.speed(),
        exact: exactEvents,
        sample: failedAndSlowest,
        // The replay puts a fresh player at every seek: ask the current one.
        placeOf: (endpoint) => (replay.player ? replay.player.placeOf(endpoint) : null),
        cellAt: (x, y) => (replay.player ? replay.player.cellAt(x, y) : null),
      });
    replay.on("time", (t) => narration.at(t));
    narration.at(replay.t);
    if (replay.player.state) showState(replay.player.state, replay.t);
    $("hint").textContent = "Replay: play, drag the timeline or step frame by frame (← →).";
    return replay;
  }

  stream
    .on("frame", (frame) => player.push(frame))
    .on("run", showRun)
    .on("error", (detail) => {
      $("conn-status").textContent = typeof detail === "string" ? detail : "refused";
    })
    .on("status", (s) => {
      $("conn-status").textContent = s === "open" ? "live" : s;
      $("conn-status").className = `status ${s === "open" ? "saved" : "dirty"}`;
    });
  showRun(run);
  if (wasOver) showReplay();
  else {
    stream.open();
    player.start();
  }

  $("btn-pause").addEventListener("click", () => {
    paused = !paused;
    stream.send({ action: paused ? "pause" : "resume" });
    $("btn-pause").textContent = paused ? "Resume" : "Pause";
    $("btn-pause").setAttribute("aria-pressed", String(paused));
    showRun({ state });
  });
  function explainSpeed(speed) {
    if (isFinal(state)) return;
    const wall = 1 / speed;
    $("hint").textContent = `${speed}× speed: one simulated second lasts ${wall >= 1 ? `${fmt(wall)} s` : `${fmt(wall * 1000)} ms`} here. Click a service, topic or link to inject a fault.`;
  }
  function useSpeed(speed) {
    explainSpeed(speed);
    player.speed(speed);
    if (replayLoad) replayLoad.then((replay) => replay && replay.speed(speed));
  }
  explainSpeed(run.speed || 0.05);
  $("speed").addEventListener("change", () => {
    const speed = Number($("speed").value);
    useSpeed(speed);
    if (!isFinal(state)) stream.send({ action: "speed", speed });
  });
  $("btn-stop").addEventListener("click", () => stream.send({ action: "stop" }));
  $("btn-rerun").addEventListener("click", async () => {
    const seed = $("seed").value === "" ? null : Number($("seed").value);
    try {
      const next = await api("runs", {
        method: "POST",
        body: { scenario_id: run.scenario_id, seed, speed: Number($("speed").value), mode: "live" },
      });
      location.assign(`/runs/${encodeURIComponent(next.id)}/`);
    } catch (err) {
      $("conn-status").textContent = `could not start: ${err.message}`;
    }
  });
  $("btn-replay").addEventListener("click", () => showReplay({ startAt: 0, play: true }));
}

main().catch((err) => {
  const status = document.getElementById("conn-status");
  if (status) status.textContent = `could not load the run: ${err.message}`;
  throw err;
});
