/**
 * The run player: turns frames (docs/http-api.md) into motion on a canvas over the graph.
 *
 * A playback clock in simulated seconds advances at `speed` per wall second and never
 * passes the newest frame; trace events start particles when the clock reaches their `t`
 * and the particles arrive at `arrive_t`. When the clock falls far behind (a reload or a
 * late join replays stored frames at once) it jumps ahead and keeps only what is still in
 * flight. The loop is split d3-force style: `step(dt)` advances, `draw()` paints,
 * `tick()` does both for one animation frame, `start()`/`stop()` run it, `on()` listens.
 */
import { createHub } from "../hub.js";
import { HOOK_KIND, MESSAGE_TYPES, TYPE } from "../graph/palette.js";
import { createGeometry, instanceOf, nodeOf } from "./geometry.js";
import { createMarks } from "./marks.js";
import { drawFlashes, drawInstances, fitCanvas } from "./overlay.js";
import { ELSEWHERE, LOST, SLOW, createParticles } from "./particles.js";
import { createLabels } from "./labels.js";
import { createScene } from "./scene.js";

const MAX_PENDING = 20000; // events waiting to start before a catch-up drops history
const FLASH_KINDS = new Set(["timeout", "drop", "rejected", "dead_letter", "fail", "crash", "breaker_open"]);

/** The particle type of a message event, or null for events that are not messages. */
export function particleType(e) {
  switch (e.kind) {
    case "send":
      if (e.msg === "reply") return TYPE.reply;
      if (e.msg === "event") return TYPE.event;
      return e.attempt > 1 ? TYPE.retry : TYPE.request;
    case "reply":
      if (e.ok === false) return e.reason === "bad_response" ? TYPE.wrong : TYPE.failed;
      return TYPE.reply;
    case "publish":
    case "deliver":
      return TYPE.event;
    case "redeliver":
      return TYPE.retry;
    case "write":
      return TYPE.write;
    case "poll":
      return TYPE.poll;
    default:
      return null;
  }
}

/**
 * Options: `cy` (cytoscape core), `canvas` (over the graph), `speed` (simulated seconds per
 * wall second), `follow` (jump ahead when behind; false replays every frame at speed),
 * `minTravel` (wall seconds: shorter hops are stretched so they can be seen). On a graph made
 * with `createGraph(..., {scene: true})` the player draws the scene (player/scene.js):
 * instance boxes, brokers, queues, and particles from instance to instance.
 */
export function createPlayer({ cy, canvas, speed = 0.05, follow = true, minTravel = 0.3, maxParticles = 20000 }) {
  const hub = createHub();
  const ctx = canvas.getContext("2d");
  const geometry = createGeometry(cy);
  const particles = createParticles({ maxParticles });
  const labels = createLabels(cy);
  const scene = cy.scratch("scene") ? createScene(cy) : null;
  const marks = createMarks();
  const askedBy = new Map(); // corr|link|attempt -> the instance that sent the request
  const styleOf = new Map(cy.edges().map((edge) => [edge.data("link"), edge.data("style")]));
  const sentAt = new Map(); // corr|link|attempt -> when the request was sent
  const typical = new Map(); // link -> its usual round trip (simulated s, smoothed)
  const faultOn = new Map(); // link or node id -> mode of a fault in force now
  const narration = []; // incidents of the frames seen (narr's core), in time order
  const pending = []; // events not yet started, in time order
  let pendingHead = 0;
  let states = []; // [t, state]; those before statesHead are applied
  let statesHead = 0;
  let state = null;
  let flashes = [];
  let simNow = 0;
  let latestT = 0;
  let lastSeq = 0;
  let framesSeen = 0;
  let spawned = 0;
  let dropped = 0;
  let drawn = 0;
  let running = false;
  let rafId = 0;
  let lastWall = null;
  let fpsFrames = 0;
  let fpsSince = 0;
  let fps = 0;
  let tickMs = 0; // smoothed wall time of one tick (step + draw)
  let sceneMs = 0; // of which drawing the scene (boxes, cells, queues)
  let finished = false;
  const seen = {}; // events started, by kind
  const elsewhere = new Map(); // corr -> {asker, handler}: replies landing on another instance

  function travel(e) {
    const floor = minTravel * speed;
    const arrive = typeof e.arrive_t === "number" ? e.arrive_t : e.t;
    return Math.max(arrive, e.t + floor);
  }

  /** Flags of a message's particle: slow under a timing fault, lost by omission, elsewhere. */
  function flagsOf(e, type, index) {
    let flags = 0;
    if (faultOn.get(e.link) === "timing" || faultOn.get(nodeOf(e.dst)) === "timing") flags |= SLOW;
    // An omission is traced as the send and, at the same instant, its drop.
    for (let k = index + 1; k < Math.min(pending.length, index + 12); k += 1) {
      const d = pending[k];
      if (d.t !== e.t) break;
      if (d.kind === "drop" && d.corr === e.corr && d.link === e.link && d.reason === "omission") flags |= LOST;
    }
    const key = `${e.corr}|${e.link}|${e.attempt}`;
    if (e.msg === "request" && e.link) {
      if (askedBy.size > 5000) {
        askedBy.clear();
        sentAt.clear();
      }
      askedBy.set(key, e.src);
      sentAt.set(key, e.t);
    } else if (e.msg === "reply" && e.link) {
      const asker = askedBy.get(key);
      if (type === TYPE.reply && styleOf.get(e.link) === "async" && asker && asker !== e.dst && instanceOf(e.dst) !== null && nodeOf(asker) === nodeOf(e.dst)) flags |= ELSEWHERE;
      // Slow: the round trip took far longer than this link's usual one (a timing failure).
      const sent = sentAt.get(key);
      if (sent !== undefined) {
        const round = e.t - sent;
        const usual = typical.get(e.link);
        if (usual !== undefined && round > Math.max(3 * usual, usual + 0.15)) flags |= SLOW;
        else typical.set(e.link, usual === undefined ? round : 0.95 * usual + 0.05 * round);
        sentAt.delete(key);
      }
    }
    return flags;
  }

  function spawn(e, index) {
    seen[e.kind] = (seen[e.kind] || 0) + 1;
    if (e.kind === "fault_start") faultOn.set(e.link || e.node, e.mode);
    if (e.kind === "fault_end") faultOn.delete(e.link || e.node);
    const type = particleType(e);
    if (type !== null) {
      const found = geometry.slotFor(e.link, nodeOf(e.src), nodeOf(e.dst));
      if (!found) return;
      const flags = flagsOf(e, type, index);
      let t1 = travel(e);
      // A lost message is seen going half-way (at the speed of a normal hop) and vanishing.
      if (flags & LOST) t1 = Math.max(t1, e.t + 2 * minTravel * speed);
      if (t1 <= simNow) return;
      const extra = { corr: e.corr || null, flags, stop: flags & LOST ? 0.5 : 1 };
      if (scene) {
        extra.src = scene.anchor(e.src, nodeOf(e.dst));
        extra.dst = scene.anchor(e.dst, nodeOf(e.src));
        if (flags & ELSEWHERE) extra.asker = askedBy.get(`${e.corr}|${e.link}|${e.attempt}`);
      }
      if (particles.add(found[0], found[1], type, e.t, t1, extra)) {
        spawned += 1;
        if (scene && flags & ELSEWHERE) elsewhere.set(e.corr, { asker: extra.asker, handler: e.dst, t1 });
      } else dropped += 1;
      if (scene && e.kind === "redeliver") scene.redelivered(nodeOf(e.src), nodeOf(e.dst));
    } else if (FLASH_KINDS.has(e.kind)) {
      hub.emit(e.kind, e);
      // Catching up after a reload: old failures are history, not something to flash now.
      if (e.t < simNow - Math.max(0.5, 2 * speed)) return;
      if (scene) {
        sceneMark(e);
        return;
      }
      const born = performance.now();
      const node = nodeOf(e.kind === "timeout" ? e.src : e.node || e.src || e.dst);
      if (e.kind === "drop" || e.kind === "rejected") {
        const found = geometry.slotFor(e.link, nodeOf(e.src), nodeOf(e.dst));
        if (found) flashes.push({ slot: found[0], born, life: 700 });
      } else if (node && !flashes.some((f) => f.node === node && born - f.born < 300)) {
        // One ring at a time per element: a burst of failures is one flash, not a target.
        flashes.push({ node, born, life: 900 });
      }
      if (flashes.length > 200) flashes.shift(); // a storm of failures: keep the newest
      if (e.kind === "timeout") labels.flashTimeout(node, e.link);
    }
    if (e.kind === "fault_start" || e.kind === "fault_end") hub.emit("fault", e);
  }

  /** A failure drawn as itself on the scene: where it happened, what it was. */
  function sceneMark(e) {
    if (e.kind === "timeout") {
      marks.add("burst", { node: nodeOf(e.src), instance: instanceOf(e.src), label: "timeout" });
      labels.flashTimeout(null, e.link);
    } else if (e.kind === "crash") {
      const inst = state && state.services && state.services[e.node] && state.services[e.node].instances[e.instance];
      const held = inst ? (inst.working || 0) + (inst.blocked || 0) + (inst.queue || 0) : 0;
      marks.add("crash", { node: e.node, instance: e.instance, held: Math.max(1, Math.min(held, 16)), label: e.reason === "poison" ? "crashed (poison)" : "crashed" });
    } else if (e.kind === "drop" && e.reason === "omission") {
      // Dropped by the service it reached (on a link, the particle itself stops half-way).
      if (!e.link) marks.add("lost", { node: e.node, instance: e.instance, label: "lost (omission)" });
    } else if (e.kind === "drop") {
      // Lost with a crashed instance (or late): it falls where it would have landed.
      marks.add("drop", { node: nodeOf(e.dst), instance: instanceOf(e.dst), label: e.reason === "crash" ? "lost" : e.reason });
    } else if (e.kind === "rejected") {
      marks.add("drop", { node: e.node, instance: e.instance, label: "rejected" });
    } else if (e.kind === "dead_letter") {
      marks.add("dead", { node: e.node, sub: cy.getElementById(`link:${e.link}`).target().id() });
    } else if (e.kind === "fail" && e.reason === "circuit_open") {
      cy.edges().forEach((edge) => {
        const l = state && state.links && state.links[edge.data("link")];
        if (l && l.breaker === "open") marks.add("spark", { edge: edge.id(), label: "fails at once" });
      });
    } else if (e.kind === "breaker_open") {
      marks.add("spark", { edge: `link:${e.link}`, label: "breaker opened" });
    }
  }

  /**
   * Instances that went down between two snapshots drop what they held. (Frames sampled at
   * high speed may leave the `crash` event itself out; the snapshots are always complete.)
   */
  function crashedBetween(before, after) {
    for (const [id, svc] of Object.entries(after.services || {})) {
      const was = before.services && before.services[id];
      if (!was) continue;
      svc.instances.forEach((inst, k) => {
        const old = was.instances[k];
        if (!inst.up && old && old.up) {
          const held = (old.working || 0) + (old.blocked || 0) + (old.queue || 0);
          marks.add("crash", { node: id, instance: k, held: Math.max(1, Math.min(held, 16)), label: "crashed" });
        }
      });
    }
  }

  function onArrive(p) {
    if (p.flags & LOST) marks.add("lost", { p, label: "lost" });
    if (p.type === TYPE.wrong) marks.add("wrong", { anchor: p.dst, label: "wrong reply" });
    if (p.flags & SLOW) marks.add("slow", { anchor: p.dst, label: "slow reply" });
    if (p.flags & ELSEWHERE && p.corr) {
      const hop = elsewhere.get(p.corr);
      if (hop) marks.add("elsewhere", hop);
    }
  }

  function applyStates() {
    let latest = null;
    while (statesHead < states.length && states[statesHead][0] <= simNow) {
      latest = states[statesHead][1];
      statesHead += 1;
    }
    if (statesHead > 1024) {
      states = states.slice(statesHead);
      statesHead = 0;
    }
    if (latest) {
      if (scene && state) crashedBetween(state, latest);
      state = latest;
      labels.state(latest);
      hub.emit("state", latest, simNow);
    }
  }

  /**
   * A late join replays a long run's frames all at once; the clock will jump past them, so
   * keep only what will still be in flight then (and fault marks) instead of every event.
   */
  function forgetHistory() {
    const horizon = latestT - Math.max(2 * speed, 0.5);
    pending.splice(0, pendingHead);
    pendingHead = 0;
    let kept = 0;
    for (const e of pending) {
      const end = typeof e.arrive_t === "number" ? e.arrive_t : e.t;
      if (end >= horizon || e.kind === "fault_start" || e.kind === "fault_end") pending[kept++] = e;
    }
    pending.length = kept;
    const lastOld = states.findLastIndex((entry, i) => i >= statesHead && entry[0] < horizon);
    if (lastOld > statesHead) statesHead = lastOld;
  }

  function where(f) {
    if (f.slot !== undefined) return geometry.midpoint(f.slot);
    const node = cy.getElementById(f.node);
    return node.empty() ? null : node.renderedPosition();
  }

  const player = {
    on(name, fn) {
      hub.on(name, fn);
      return player;
    },

    /** Take one frame `{seq, t, events, counts, sampled, state}`; frames already seen are ignored. */
    push(frame) {
      if (frame.seq <= lastSeq) return player;
      lastSeq = frame.seq;
      framesSeen += 1;
      latestT = Math.max(latestT, frame.t);
      for (const e of frame.events || []) pending.push(e);
      for (const incident of frame.incidents || []) narration.push(incident);
      if (frame.state) states.push([frame.t, frame.state]);
      if (follow && pending.length - pendingHead > MAX_PENDING) forgetHistory();
      // A hidden tab gets no animation frames: keep the newest states, not all of them.
      if (follow && states.length - statesHead > 2000) statesHead = states.length - 1000;
      labels.count(frame);
      hub.emit("frame", frame);
      return player;
    },

    /** Mark the end of the stream: the clock may now run to the last frame and stop there. */
    finish() {
      finished = true;
      return player;
    },

    /** Advance the playback clock by `dt` wall seconds and start or expire particles. */
    step(dt) {
      simNow = Math.min(simNow + dt * speed, latestT);
      // Far behind (reload, late join): jump, so the view shows now rather than history.
      if (follow && latestT - simNow > Math.max(2 * speed, 0.25)) simNow = latestT - 0.5 * speed;
      while (pendingHead < pending.length && pending[pendingHead].t <= simNow) {
        spawn(pending[pendingHead], pendingHead);
        pendingHead += 1;
      }
      if (pendingHead > 4096) {
        pending.splice(0, pendingHead);
        pendingHead = 0;
      }
      particles.expire(simNow, scene ? onArrive : null);
      if (elsewhere.size > 500) elsewhere.clear();
      applyStates();
      return player;
    },

    /** Paint the current particles, instance bars and flashes. */
    draw() {
      const [w, h] = fitCanvas(canvas, ctx);
      ctx.clearRect(0, 0, w, h);
      const geom = geometry.update();
      const radius = cy.zoom() < 0.6 ? 2 : 3.5;
      if (scene) {
        const began = performance.now();
        scene.draw(ctx, state);
        const xy = scene.update();
        sceneMs = 0.9 * sceneMs + 0.1 * (performance.now() - began);
        drawn = particles.draw(ctx, geom, simNow, radius, xy);
        marks.draw(ctx, performance.now(), { scene, cy, geom, xy, particles, zoom: cy.zoom() });
        return player;
      }
      drawInstances(ctx, cy, state && state.services);
      drawn = particles.draw(ctx, geom, simNow, radius);
      flashes = drawFlashes(ctx, flashes, performance.now(), where);
      return player;
    },

    /** One animation frame: step by the wall time since the last tick, then draw. */
    tick(wallMs = performance.now()) {
      const began = performance.now();
      const dt = lastWall === null ? 0 : Math.min((wallMs - lastWall) / 1000, 0.25);
      lastWall = wallMs;
      player.step(dt);
      player.draw();
      labels.flush(wallMs);
      fpsFrames += 1;
      if (wallMs - fpsSince >= 1000) {
        fps = (fpsFrames * 1000) / (wallMs - fpsSince);
        fpsFrames = 0;
        fpsSince = wallMs;
      }
      tickMs = 0.9 * tickMs + 0.1 * (performance.now() - began);
      hub.emit("tick", simNow);
      return player;
    },

    start() {
      if (running) return player;
      running = true;
      lastWall = null;
      const loop = (ms) => {
        if (!running) return;
        player.tick(ms);
        rafId = requestAnimationFrame(loop);
      };
      rafId = requestAnimationFrame(loop);
      return player;
    },

    stop() {
      running = false;
      cancelAnimationFrame(rafId);
      return player;
    },

    /** Simulated seconds per wall second for playback (the run's speed). */
    speed(value) {
      if (value === undefined) return speed;
      speed = value;
      return player;
    },

    /** Re-read the graph's edges (after the topology changed). */
    rebuild() {
      geometry.rebuild();
      particles.clear();
      return player;
    },

    get lastSeq() {
      return lastSeq;
    },

    /** Where the scene draws an endpoint (`"order/2"`), in rendered px; null without the scene. */
    placeOf(endpoint) {
      return scene ? scene.placeOf(endpoint) : null;
    },

    /** The instance box under rendered point (x, y) as `{node, instance}`; null without the scene. */
    cellAt(x, y) {
      return scene ? scene.cellAt(x, y) : null;
    },

    get state() {
      return state;
    },

    /**
     * What the canvas shows now as plain JSON: `window.mscommScene()` (docs/front-end.md,
     * "The scene hook"). Null on a graph without the scene.
     */
    scene() {
      if (!scene) return null;
      const drawnNow = scene.snapshot();
      const where = (id) => {
        const a = scene.info(id);
        return a ? { node: a.node, instance: a.instance } : null;
      };
      const list = particles.list(simNow).map((p) => {
        const out = { corr: p.corr, kind: HOOK_KIND[MESSAGE_TYPES[p.type].key], from: where(p.src), to: where(p.dst) };
        if (p.type === TYPE.wrong) out.wrong = true;
        if (p.flags & SLOW) out.slow = true;
        if (p.flags & LOST) out.lost = true;
        if (p.flags & ELSEWHERE) {
          const hop = elsewhere.get(p.corr);
          out.asked_by = hop ? { node: nodeOf(hop.asker), instance: instanceOf(hop.asker) } : null;
        }
        return out;
      });
      return {
        t: Math.round(simNow * 1000) / 1000,
        instances: drawnNow.instances,
        queues: drawnNow.queues,
        particles: list,
        breakers: drawnNow.breakers,
        readers: drawnNow.readers,
        marks: marks.list(performance.now()),
        narration: narration.filter((n) => n.t <= simNow).map((n) => ({ t: n.t, text: n.text })),
      };
    },

    /** Numbers for tests and the status line. */
    stats() {
      return {
        particles: particles.size,
        drawn,
        spawned,
        dropped,
        frames: framesSeen,
        lastSeq,
        simNow,
        latestT,
        fps,
        tickMs,
        sceneMs,
        finished,
        flashes: flashes.length,
        pending: pending.length - pendingHead,
        seen: { ...seen },
      };
    },
  };
  // The scene hook follows the newest player (a replay makes one per seek).
  if (scene) window.mscommScene = () => player.scene();
  return player;
}
