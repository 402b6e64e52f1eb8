/**
 * Drives the real player and particle layer with synthetic frames so that `?n=` particles
 * are in flight at once, then counts animation frames per second. Results land in
 * `window.benchResult` (read by bench/browser_fps.py).
 */
import { createGraph } from "../graph/create.js";
import { createPlayer } from "../player/player.js";

const params = new URLSearchParams(location.search);
const target = Number(params.get("n") || 2000);
const measureMs = Number(params.get("ms") || 3000);
const TRAVEL = 2; // simulated seconds per hop
const SERVICES = Number(params.get("nodes") || 12);
const SCENE = params.get("scene") !== "0"; // instance boxes, brokers and ELK's layout
const opened = performance.now();

function syntheticDoc() {
  const nodes = [];
  const links = [];
  const layout = {};
  for (let i = 0; i < SERVICES; i += 1) {
    nodes.push({ id: `s${i}`, kind: "service", label: `Service ${i}`, instances: 1 + (i % 3), workers: 8 });
    layout[`s${i}`] = { x: 160 * (i % 4), y: 140 * Math.floor(i / 4) };
  }
  for (let i = 0; i < SERVICES; i += 1) {
    links.push({ id: `l${i}a`, from: `s${i}`, to: `s${(i + 1) % SERVICES}`, style: "sync" });
    links.push({ id: `l${i}b`, from: `s${i}`, to: `s${(i + 4) % SERVICES}`, style: "async" });
  }
  return { format: "mscomm.scenario/1", name: "bench", nodes, links, layout };
}

function frames(doc, until) {
  // Uniform arrivals at target/TRAVEL per simulated second keep `target` in flight.
  const perFrame = (target / TRAVEL) * 0.05;
  const out = [];
  let seq = 0;
  let carry = 0;
  for (let t = 0.05; t <= until; t += 0.05) {
    const events = [];
    carry += perFrame;
    while (carry >= 1) {
      carry -= 1;
      const link = doc.links[Math.floor(Math.random() * doc.links.length)];
      const start = t - Math.random() * 0.05;
      const reply = Math.random() < 0.5;
      events.push({
        t: start,
        kind: "send",
        link: link.id,
        src: `${reply ? link.to : link.from}/${seq % 2}`,
        dst: `${reply ? link.from : link.to}/${(seq + 1) % 2}`,
        msg: reply ? "reply" : "request",
        attempt: 1,
        arrive_t: start + TRAVEL,
      });
    }
    events.sort((a, b) => a.t - b.t);
    seq += 1;
    const services = {};
    for (const n of doc.nodes) {
      services[n.id] = { instances: Array.from({ length: n.instances }, (_, k) => ({ up: k !== 2, working: 3, blocked: 3, idle: 2, queue: 2 })) };
    }
    out.push({ seq, t, events, counts: { send: events.length }, sampled: false, state: { t, services, links: {} } });
  }
  return out;
}

const doc = syntheticDoc();
// The synthetic frames are the bench's own work (a page fetches its frames): not timed.
const genBegan = performance.now();
const all = frames(doc, 30);
const genMs = performance.now() - genBegan;
const cy = createGraph(document.getElementById("graph"), doc, { scene: SCENE });
const player = createPlayer({ cy, canvas: document.getElementById("particles"), speed: 1, follow: false, maxParticles: target * 2 });
window.mscommPlayer = player;
player.push(all[0]);
player.tick(performance.now());
// Open: from the navigation's start (performance.now()'s zero) to the first frame drawn;
// ELK's layout then arrives from its worker (laidOutMs), the page staying live meanwhile.
const openMs = performance.now() - genMs;
void opened;
for (const frame of all.slice(1)) player.push(frame);
player.start();
const layout = SCENE ? await cy.scratch("sceneLayoutDone") : null;
const laidOutMs = performance.now();

const status = document.getElementById("bench-status");
status.textContent = `warming up with ${target} particles…`;
setTimeout(() => {
  let count = 0;
  let particles = 0;
  let busy = 0;
  const started = performance.now();
  const counter = () => {
    count += 1;
    const stats = player.stats();
    particles += stats.drawn;
    busy += stats.tickMs;
    if (performance.now() - started < measureMs) requestAnimationFrame(counter);
    else {
      const seconds = (performance.now() - started) / 1000;
      window.benchResult = { sceneMs: player.stats().sceneMs, target, nodes: SERVICES, scene: SCENE, openMs, laidOutMs, layoutMs: layout ? layout.ms : null, fps: count / seconds, meanDrawn: particles / count, tickMs: busy / count };
      status.textContent = `${target} particles: ${(count / seconds).toFixed(1)} fps`;
    }
  };
  requestAnimationFrame(counter);
}, (TRAVEL + 0.5) * 1000);
