/**
 * A seekable view of a finished run: given its stored frames, `show(t)` paints the graph
 * as it was at simulated time `t` (instance bars from the last frame at or before `t`,
 * messages in flight as particles). Unlike the live player it keeps no clock of its own,
 * so one clock can drive several views in step (the compare page).
 */
import { particleType } from "../player/player.js";
import { createGeometry, nodeOf } from "../player/geometry.js";
import { drawInstances, fitCanvas } from "../player/overlay.js";
import { createParticles } from "../player/particles.js";

const MAX_TRAVEL_S = 5; // hops longer than this (simulated) are not looked back for

/** Index of the last item with `key(item) <= t` in `items` sorted by key, or -1. */
export function lastAtOrBefore(items, t, key) {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (key(items[mid]) <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Options: `cy`, `canvas` over it, `frames` (sorted by seq), `minTravel` (wall s). */
export function createScrubber({ cy, canvas, frames, minTravel = 0.3 }) {
  const ctx = canvas.getContext("2d");
  const geometry = createGeometry(cy);
  const particles = createParticles({ maxParticles: 5000 });
  const states = frames.filter((f) => f.state).map((f) => [f.t, f.state]);
  const events = frames.flatMap((f) => f.events || []).filter((e) => particleType(e) !== null);
  events.sort((a, b) => a.t - b.t);
  const endT = frames.length ? frames[frames.length - 1].t : 0;
  let shownT = 0;
  let frameT = null;
  let state = null;

  return {
    /** Paint the run at simulated time `t`; `speed` (sim s per wall s) stretches short hops. */
    show(t, speed = 0.05) {
      shownT = t;
      const i = lastAtOrBefore(states, t, (s) => s[0]);
      state = i >= 0 ? states[i][1] : null;
      frameT = i >= 0 ? states[i][0] : null;
      particles.clear();
      const floor = minTravel * speed;
      let k = Math.max(0, lastAtOrBefore(events, t - Math.max(MAX_TRAVEL_S, floor), (e) => e.t));
      for (; k < events.length && events[k].t <= t; k += 1) {
        const e = events[k];
        const arrive = typeof e.arrive_t === "number" ? e.arrive_t : e.t;
        const t1 = Math.max(arrive, e.t + floor);
        if (t1 <= t) continue;
        const slot = geometry.slotFor(e.link, nodeOf(e.src), nodeOf(e.dst));
        if (slot) particles.add(slot[0], slot[1], particleType(e), e.t, t1);
      }
      const [w, h] = fitCanvas(canvas, ctx);
      ctx.clearRect(0, 0, w, h);
      const geom = geometry.update();
      drawInstances(ctx, cy, state && state.services);
      particles.draw(ctx, geom, t, 3);
      return this;
    },
    /** For tests and the status line: the time shown and the frame it came from. */
    stats() {
      return { t: shownT, frameT, particles: particles.size, frames: frames.length, endT, requests: state && state.requests };
    },
    get endT() {
      return endT;
    },
  };
}
