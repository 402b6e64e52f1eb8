// The one speed list and the final run states, without a browser.
import assert from "node:assert/strict";
import { test } from "node:test";

import { SPEEDS, speedLabel, speedOptions } from "../../../static/js/speeds.js";
import { FINAL_STATES, isFinal } from "../../../static/js/run/states.js";

test("a listed speed is offered as the list, and any other speed in its place among them", () => {
  assert.deepEqual(speedOptions(1), [...SPEEDS]);
  assert.deepEqual(speedOptions(0.05), [...SPEEDS]);
  // A run started through the API at 3x: the selector offers 3x itself, not the nearest 2x.
  const three = speedOptions(3);
  assert.equal(three.length, SPEEDS.length + 1);
  assert.deepEqual(three.slice(three.indexOf(2), three.indexOf(5) + 1), [2, 3, 5]);
  assert.deepEqual(speedOptions("0.03").slice(1, 4), [0.02, 0.03, 0.05]);
  assert.deepEqual(speedOptions(1000).at(-1), 1000);
  assert.deepEqual(speedOptions("x"), [...SPEEDS]); // not a speed: the list, at 1x
  assert.equal(speedLabel(3), "3×");
  assert.equal(speedLabel(1), "1× (real time)");
  assert.equal(speedLabel(0.25), "0.25×");
});

test("the final states are exactly the three a run ends in", () => {
  assert.deepEqual([...FINAL_STATES].sort(), ["cancelled", "failed", "succeeded"]);
  assert.ok(isFinal("failed"));
  assert.ok(!isFinal("running"));
  assert.ok(!isFinal("queued"));
});
