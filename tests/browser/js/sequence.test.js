// One request's sequence diagram model, without a browser.
import assert from "node:assert/strict";
import { test } from "node:test";

import { sequenceModel, shownBy } from "../../../static/js/run/sequence.js";

const EVENTS = [
  { t: 1.0, kind: "arrive", corr: "r2", node: "order", instance: 0 },
  { t: 1.002, kind: "send", corr: "r2", link: "charge", src: "order/0", dst: "pay/1", msg: "request", arrive_t: 1.003, attempt: 1 },
  { t: 1.002, kind: "send", corr: "r9", link: "charge", src: "order/2", dst: "pay/0", msg: "request", arrive_t: 1.003, attempt: 1 },
  { t: 1.023, kind: "reply", corr: "r2", link: "charge", src: "pay/1", dst: "order/1", msg: "reply", arrive_t: 1.024, attempt: 1, ok: true },
  { t: 1.002, kind: "publish", corr: "r2", link: "pub", src: "order/0", dst: "placed", msg: "event", arrive_t: 1.002 },
  { t: 1.03, kind: "timeout", corr: "r2", link: "check", src: "order/1", dst: "stock/0", attempt: 1 },
  { t: 1.024, kind: "complete", corr: "r2", node: "order", instance: 1 },
];

test("lanes are the instances in the order the request reached them; other requests are left out", () => {
  const m = sequenceModel(EVENTS, "r2");
  assert.deepEqual(m.lanes, ["order/0", "pay/1", "placed", "order/1"]);
  assert.equal(m.arrows.length, 3);
  assert.deepEqual(
    m.arrows.map((a) => [a.from, a.to, a.type]),
    [["order/0", "pay/1", "request"], ["order/0", "placed", "event"], ["pay/1", "order/1", "reply"]],
  );
  // The reply lands on another caller instance than the one that asked.
  assert.notEqual(m.arrows[2].to, m.arrows[0].from);
  assert.equal(m.start, 1.0);
  assert.equal(m.end, 1.024);
  assert.equal(m.outcome, "succeeded");
  assert.deepEqual(m.marks.map((k) => [k.lane, k.kind]), [["order/0", "arrive"], ["order/1", "complete"], ["order/1", "timeout"]]);
});

test("the diagram grows with the clock", () => {
  const m = sequenceModel(EVENTS, "r2");
  assert.equal(shownBy(m, 0.5), 0);
  assert.equal(shownBy(m, 1.0), 1);
  assert.equal(shownBy(m, 1.002), 3);
  assert.equal(shownBy(m, 2), 6);
});

test("a failed request ends at its first failure and an unfinished one has no end", () => {
  const failed = sequenceModel([{ t: 0, kind: "arrive", corr: "r1", node: "a", instance: 0 }, { t: 0.5, kind: "fail", corr: "r1", node: "a", instance: 0, reason: "timeout" }], "r1");
  assert.equal(failed.outcome, "failed");
  assert.equal(failed.end, 0.5);
  assert.equal(failed.marks[1].text, "failed (timeout)");
  const open = sequenceModel(EVENTS.slice(0, 2), "r2");
  assert.equal(open.end, null);
  assert.equal(open.outcome, null);
});
