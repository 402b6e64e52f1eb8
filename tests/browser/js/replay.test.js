// The replay's frame index and playhead URLs, without a browser.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createFrameIndex, loadFrames } from "../../../static/js/replay/frames.js";
import { playheadFrom, playheadUrl } from "../../../static/js/replay/playhead.js";

const frame = (seq, t) => ({ seq, t, events: [], counts: {}, sampled: false, state: { t } });

test("a seek finds the last frame at or before the time", () => {
  const index = createFrameIndex([frame(1, 0.5), frame(2, 1), frame(3, 1), frame(4, 2.5)]);
  assert.equal(index.length, 4);
  assert.equal(index.endT, 2.5);
  assert.equal(index.indexAt(0), 0); // before the first frame: the first
  assert.equal(index.indexAt(0.5), 0);
  assert.equal(index.indexAt(0.99), 0);
  assert.equal(index.indexAt(1), 2); // frames at the same time: the last of them
  assert.equal(index.indexAt(2.49), 2);
  assert.equal(index.indexAt(99), 3);
  assert.equal(createFrameIndex([]).indexAt(3), 0);
  assert.equal(createFrameIndex([]).endT, 0);
});

test("frames load page by page until the server says done", async () => {
  const all = Array.from({ length: 7 }, (_, i) => frame(i + 1, i * 0.1));
  const asked = [];
  const index = await loadFrames(async (since) => {
    asked.push(since);
    const frames = all.filter((f) => f.seq > since).slice(0, 3);
    const next = frames.length ? frames[frames.length - 1].seq : since;
    return { frames, next, done: next >= all.length };
  });
  assert.deepEqual(asked, [0, 3, 6]);
  assert.deepEqual(
    index.frames.map((f) => f.seq),
    [1, 2, 3, 4, 5, 6, 7],
  );
});

test("a page that repeats frames or makes no progress ends the load", async () => {
  const pages = [
    { frames: [frame(1, 0), frame(2, 1)], next: 2, done: false },
    { frames: [frame(2, 1)], next: 2, done: false },
  ];
  const index = await loadFrames(async () => pages.shift());
  assert.deepEqual(
    index.frames.map((f) => f.seq),
    [1, 2],
  );
});

test("the playhead comes from ?t= or #t=, and only as a number >= 0", () => {
  assert.equal(playheadFrom("https://x.test/s/abc?t=12.5"), 12.5);
  assert.equal(playheadFrom("https://x.test/s/abc#t=3"), 3);
  assert.equal(playheadFrom("https://x.test/s/abc?t=1#t=2"), 1);
  assert.equal(playheadFrom("https://x.test/s/abc"), null);
  for (const bad of ["-1", "abc", "", "Infinity", "1e999"]) {
    assert.equal(playheadFrom(`https://x.test/s/abc#t=${bad}`), null, bad);
  }
});

test("a playhead URL keeps the page and replaces any earlier playhead", () => {
  assert.equal(playheadUrl(12.5, "https://x.test/s/abc?t=3"), "https://x.test/s/abc#t=12.5");
  assert.equal(playheadUrl(1 / 3, "https://x.test/runs/r/#t=9"), "https://x.test/runs/r/#t=0.333");
  assert.equal(playheadFrom(playheadUrl(7.25, "https://x.test/s/abc")), 7.25);
});
