/**
 * How long a replay seek takes: builds `?frames=` synthetic frames of `?events=` message
 * events each over a ring of services, indexes them, then seeks to random moments and to
 * next/previous frames, timing each call (it redraws before returning). Results land in
 * `window.benchResult` (read by bench/replay_seek.py); page: particles.html?bench=replay.
 */
import { createGraph } from "../graph/create.js";
import { createFrameIndex } from "../replay/frames.js";
import { createReplay } from "../replay/replay.js";

const params = new URLSearchParams(location.search);
const frameCount = Number(params.get("frames") || 2000);
const perFrame = Number(params.get("events") || 100);
const seeks = Number(params.get("seeks") || 200);
const DT = 0.05; // simulated seconds between frames
const HOP = 0.4; // simulated seconds a message travels

function ringDoc(n = 8) {
  const nodes = [];
  const links = [];
  const layout = {};
  for (let i = 0; i < n; i += 1) {
    nodes.push({ id: `s${i}`, kind: "service", label: `Service ${i}` });
    layout[`s${i}`] = { x: 300 + 220 * Math.cos((2 * Math.PI * i) / n), y: 300 + 220 * Math.sin((2 * Math.PI * i) / n) };
    links.push({ id: `l${i}`, from: `s${i}`, to: `s${(i + 1) % n}`, style: "sync" });
  }
  return { format: "mscomm.scenario/1", name: "replay bench", nodes, links, layout };
}

/** Deterministic frames (a fixed LCG, so every run of the bench replays the same log). */
function makeFrames(doc) {
  let x = 12345;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const frames = [];
  for (let seq = 1; seq <= frameCount; seq += 1) {
    const t = seq * DT;
    const events = [];
    for (let k = 0; k < perFrame; k += 1) {
      const link = doc.links[Math.floor(rand() * doc.links.length)];
      const start = t - DT + (k / perFrame) * DT;
      events.push({ t: start, kind: "send", link: link.id, src: `${link.from}/0`, dst: `${link.to}/0`, msg: "request", attempt: 1, arrive_t: start + HOP });
    }
    const services = {};
    for (const [i, node] of doc.nodes.entries()) {
      const working = Math.floor(rand() * 8);
      services[node.id] = { instances: [{ up: true, working, blocked: (i + seq) % 3, idle: 10 - working - ((i + seq) % 3), queue: seq % 5 }] };
    }
    frames.push({ seq, t, events, counts: { send: perFrame }, sampled: false, state: { t, requests: { arrived: seq * perFrame }, services, links: {} } });
  }
  return frames;
}

function summary(ms) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] };
}

const doc = ringDoc();
const cy = createGraph(document.getElementById("graph"), doc);
const frames = makeFrames(doc);
const indexStart = performance.now();
const index = createFrameIndex(frames);
const indexMs = performance.now() - indexStart;
const replay = createReplay({ cy, canvas: document.getElementById("particles"), index, speed: 1 });
replay.seekIndex(0);

requestAnimationFrame(() => {
  let y = 99;
  const rand = () => ((y = (y * 1103515245 + 12345) % 2147483648) / 2147483648);
  const random = [];
  for (let i = 0; i < seeks; i += 1) {
    const began = performance.now();
    replay.seek(rand() * index.endT);
    random.push(performance.now() - began);
  }
  const stepped = [];
  for (let i = 0; i < seeks; i += 1) {
    const began = performance.now();
    replay.step(i % 4 === 3 ? -1 : 1);
    stepped.push(performance.now() - began);
  }
  replay.destroy();
  window.benchResult = { frames: frameCount, events: perFrame, indexMs, seek: summary(random), step: summary(stepped) };
  document.getElementById("bench-status").textContent = JSON.stringify(window.benchResult);
});
