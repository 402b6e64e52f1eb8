/**
 * A finished run's frames in memory, indexed by simulated time, so that seeking is a binary
 * search rather than a re-simulation: every frame carries the full state snapshot.
 */

/**
 * Load every frame through `fetchPage(since)` (which resolves to `{frames, next, done}`,
 * the frames API of docs/http-api.md); resolves to a frame index.
 */
export async function loadFrames(fetchPage, { onProgress } = {}) {
  const frames = [];
  let since = 0;
  for (;;) {
    const page = await fetchPage(since);
    for (const frame of page.frames) {
      if (!frames.length || frame.seq > frames[frames.length - 1].seq) frames.push(frame);
    }
    if (onProgress) onProgress(frames.length);
    if (page.done || !page.frames.length || page.next <= since) break;
    since = page.next;
  }
  return createFrameIndex(frames);
}

/** Index `frames` (in seq order, simulated time never decreasing) by time. */
export function createFrameIndex(frames) {
  const times = Float64Array.from(frames, (f) => f.t);
  return {
    frames,
    get length() {
      return frames.length;
    },
    /** Simulated time of the last frame (0 without frames). */
    get endT() {
      return times.length ? times[times.length - 1] : 0;
    },
    /** The index of the last frame at or before `t` (0 when `t` is before the first). */
    indexAt(t) {
      let lo = 0;
      let hi = times.length - 1;
      if (hi < 0 || t < times[0]) return 0;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (times[mid] <= t) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    },
  };
}
