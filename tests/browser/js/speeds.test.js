// The one speed list and the final run states, without a browser.
import assert from "node:assert/strict";
import { test } from "node:test";

import { nearestSpeed, SPEEDS, speedLabel } from "../../../static/js/speeds.js";
import { FINAL_STATES, isFinal } from "../../../static/js/run/states.js";

test("every offered speed is its own nearest, and others snap to the closest ratio", () => {
  for (const s of SPEEDS) assert.equal(nearestSpeed(s), s);
  assert.equal(nearestSpeed(0.06), 0.05);
  assert.equal(nearestSpeed(3), 2); // 3/2 is a smaller ratio than 5/3
  assert.equal(nearestSpeed(1000), 20);
  assert.equal(nearestSpeed("x"), 1);
  assert.equal(speedLabel(1), "1× (real time)");
  assert.equal(speedLabel(0.25), "0.25×");
});

test("the final states are exactly the three a run ends in", () => {
  assert.deepEqual([...FINAL_STATES].sort(), ["cancelled", "failed", "succeeded"]);
  assert.ok(isFinal("failed"));
  assert.ok(!isFinal("running"));
  assert.ok(!isFinal("queued"));
});
