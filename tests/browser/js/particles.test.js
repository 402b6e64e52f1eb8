// The particle store and the player's event mapping, without a browser.
import assert from "node:assert/strict";
import { test } from "node:test";

import { TYPE } from "../../../static/js/graph/palette.js";
import { createParticles } from "../../../static/js/player/particles.js";
import { particleType } from "../../../static/js/player/player.js";

test("particles leave once they have arrived", () => {
  const store = createParticles({ capacity: 2 });
  for (let i = 0; i < 10; i += 1) store.add(0, 1, TYPE.request, i, i + 1);
  assert.equal(store.size, 10); // grew past its first capacity
  store.expire(5);
  assert.equal(store.size, 5);
  store.expire(100);
  assert.equal(store.size, 0);
});

test("the store refuses particles past its limit instead of growing for ever", () => {
  const store = createParticles({ maxParticles: 3 });
  const added = [1, 2, 3, 4].map((i) => store.add(0, 1, TYPE.event, 0, i));
  assert.deepEqual(added, [true, true, true, false]);
});

test("particles are drawn on their curve, one path per message type", () => {
  const store = createParticles();
  store.add(0, 1, TYPE.request, 0, 1);
  store.add(0, -1, TYPE.reply, 0, 1);
  store.add(0, 1, TYPE.request, 5, 6); // not sent yet at t=0.5
  // A recording 2D context: properties are stored, every method call is logged.
  const calls = [];
  const props = {};
  const ctx = new Proxy({}, {
    get: (_, name) => (name in props ? props[name] : (...args) => calls.push([name, ...args])),
    set: (_, name, value) => ((props[name] = value), true),
  });
  // A straight edge from (0,0) to (100,0): control point in the middle, normal pointing down.
  const geom = new Float32Array([0, 0, 50, 0, 100, 0, 0, 1]);
  const drawn = store.draw(ctx, geom, 0.5, 3);
  assert.equal(drawn, 2);
  assert.equal(calls.filter(([n]) => n === "fill").length, 2);
  const arcs = calls.filter(([n]) => n === "arc");
  // Half-way along, each in its lane: the request (a dot) below the line, the reply (a
  // triangle, its apex 1.4 radii up) above it.
  assert.deepEqual(arcs.map(([, x, y]) => [x, y]), [[50, 3]]);
  const apex = calls.filter(([n]) => n === "moveTo").at(-1);
  assert.deepEqual([apex[1], Math.round(apex[2] * 10) / 10], [50, -7.2]);
});

test("particles go from anchor to anchor through their link's midpoint; a lost one stops half-way", () => {
  const store = createParticles();
  // Anchors: 0 at (0, 100), 1 at (100, 100); the link's midpoint is (50, 0).
  const xy = new Float32Array([0, 100, 100, 100]);
  const geom = new Float32Array([0, 0, 50, 0, 100, 0, 0, 1]);
  store.add(0, 1, TYPE.request, 0, 1, { src: 0, dst: 1, corr: "r1" });
  store.add(0, 1, TYPE.request, 0, 1, { src: 0, dst: 1, corr: "r2", stop: 0.5 });
  const calls = [];
  const ctx = new Proxy({}, { get: (_, name) => (...args) => calls.push([name, ...args]), set: () => true });
  store.draw(ctx, geom, 1, 3, xy);
  const arcs = calls.filter(([n]) => n === "arc").map(([, x, y]) => [Math.round(x), Math.round(y)]);
  // The first lands on anchor 1 (plus its lane); the lost one is at the curve's middle,
  // which passes through the link's midpoint.
  assert.deepEqual(arcs, [[100, 103], [50, 3]]);
  assert.deepEqual(store.list(1).map((p) => p.corr), ["r1", "r2"]);
});

test("messages map to particle types; failed replies show as failures", () => {
  assert.equal(particleType({ kind: "send", msg: "request", attempt: 1 }), TYPE.request);
  assert.equal(particleType({ kind: "send", msg: "request", attempt: 2 }), TYPE.retry);
  assert.equal(particleType({ kind: "reply", ok: true }), TYPE.reply);
  assert.equal(particleType({ kind: "reply", ok: false }), TYPE.failed);
  assert.equal(particleType({ kind: "reply", ok: false, reason: "bad_response" }), TYPE.wrong);
  assert.equal(particleType({ kind: "deliver" }), TYPE.event);
  assert.equal(particleType({ kind: "redeliver" }), TYPE.retry);
  assert.equal(particleType({ kind: "poll" }), TYPE.poll);
  assert.equal(particleType({ kind: "timeout" }), null);
});

test("link rates stay exact whatever a frame's length", async () => {
  const { createLabels } = await import("../../../static/js/player/labels.js");
  const store = { link: "a", rate: "" };
  const edge = {
    data: (k, v) => (v === undefined ? store[k] : (store[k] = v)),
    hasClass: () => false,
    toggleClass: () => {},
  };
  const cy = { batch: (fn) => fn(), edges: () => [edge], nodes: () => [], getElementById: () => edge };
  for (const dt of [0.1, 5]) {
    const labels = createLabels(cy);
    // 10 messages per simulated second on link a, in frames of `dt` seconds, for 20 s.
    for (let t = dt, seq = 1; t <= 20 + 1e-9; t += dt, seq += 1) {
      const events = Array.from({ length: Math.round(10 * dt) }, () => ({ kind: "send", link: "a" }));
      labels.count({ t, seq, events, counts: { send: events.length }, sampled: false });
    }
    labels.flush(1e9);
    const rate = Number.parseFloat(store.rate);
    assert.ok(Math.abs(rate - 10) < 0.5, `frames of ${dt} s: ${store.rate}`);
  }
});
