/**
 * Replay of a finished run from its frames in memory: play, pause, speed, seek and step
 * frame by frame, drawn by the run player (player/player.js).
 *
 * A seek rebuilds the picture from the nearest frame at or before the target time, whose
 * state snapshot is complete, plus the events of the few frames before it (for messages
 * still in flight): a fresh player is put at the target time at once, nothing is
 * re-simulated. While playing, frames are fed to the player just ahead of its clock.
 * Emits `time` (t, frame index), `state` (snapshot, t), `play` (playing: boolean) and
 * `speed` (simulated seconds per wall second).
 */
import { createHub } from "../hub.js";
import { createPlayer } from "../player/player.js";

const LOOKBACK_S = 5; // simulated seconds of earlier events that may still be in flight
const LOOKBACK_FRAMES = 400;

export function createReplay({ cy, canvas, index, speed = 1 }) {
  const hub = createHub();
  const frames = index.frames;
  let player = null;
  let cursor = 0; // the frame whose state is shown
  let fed = 0; // frames[0..fed) have been given to the current player
  let now = 0;
  let playing = false;
  let playSpeed = speed;

  function feed(simNow) {
    const ahead = simNow + Math.max(1, 2 * playSpeed);
    while (fed < frames.length && (frames[fed].t <= ahead || frames[fed - 1].t <= simNow)) {
      player.push(frames[fed]);
      fed += 1;
    }
    if (fed >= frames.length) player.finish();
  }

  function onTick(simNow) {
    if (!playing) return;
    feed(simNow);
    now = simNow;
    cursor = index.indexAt(simNow);
    hub.emit("time", now, cursor);
    if (fed >= frames.length && simNow >= index.endT) setPlaying(false);
  }

  /** Put a fresh player at time `t`, showing frame `i` (the last one at or before `t`). */
  function build(i, t) {
    if (player) player.stop();
    player = createPlayer({ cy, canvas, speed: playSpeed, follow: false });
    window.mscommPlayer = player;
    player.on("state", (s, at) => hub.emit("state", s, at));
    player.on("tick", onTick);
    let first = i;
    while (first > 0 && i - first < LOOKBACK_FRAMES && frames[first - 1].t >= t - LOOKBACK_S) first -= 1;
    for (let k = first; k <= i; k += 1) player.push(frames[k]);
    fed = i + 1;
    // One frame past `t` lets the clock stand at `t` (it never passes the newest frame);
    // one at the same time would show a later state than frame i.
    if (fed < frames.length && frames[fed].t > t) {
      player.push(frames[fed]);
      fed += 1;
    }
    if (fed >= frames.length) player.finish();
    // From 0 to just past `t` in one step: events up to `t` start (those already over are
    // skipped), the state of frame i applies. The nudge keeps rounding from stopping short.
    player.step((t + 1e-9) / playSpeed);
    cursor = i;
    now = t;
    player.speed(playing ? playSpeed : 0);
    player.tick(performance.now());
    player.start();
    hub.emit("time", now, cursor);
  }

  function setPlaying(value) {
    playing = value;
    if (player) player.speed(playing ? playSpeed : 0);
    hub.emit("play", playing);
  }

  const replay = {
    on(name, fn) {
      hub.on(name, fn);
      return replay;
    },
    /** Jump to simulated time `t` (clamped to the run), keeping play or pause. */
    seek(t) {
      if (!frames.length) return replay;
      const at = Math.min(Math.max(Number(t) || 0, frames[0].t), index.endT);
      build(index.indexAt(at), at);
      return replay;
    },
    /** Jump to frame `i` (clamped), at its time. */
    seekIndex(i) {
      if (!frames.length) return replay;
      const k = Math.min(Math.max(0, i), frames.length - 1);
      build(k, frames[k].t);
      return replay;
    },
    /** Pause and move `delta` frames (1 forward, -1 back). */
    step(delta) {
      setPlaying(false);
      return replay.seekIndex(cursor + delta);
    },
    play() {
      if (!frames.length) return replay;
      if (cursor >= frames.length - 1) {
        setPlaying(true);
        return replay.seekIndex(0);
      }
      setPlaying(true);
      return replay;
    },
    pause() {
      setPlaying(false);
      return replay;
    },
    toggle() {
      return playing ? replay.pause() : replay.play();
    },
    /** Playback speed in simulated seconds per wall second (a getter without argument). */
    speed(value) {
      if (value === undefined) return playSpeed;
      playSpeed = value;
      if (player) player.speed(playing ? playSpeed : 0);
      hub.emit("speed", playSpeed);
      return replay;
    },
    destroy() {
      setPlaying(false);
      if (player) player.stop();
    },
    get t() {
      return now;
    },
    get index() {
      return cursor;
    },
    get playing() {
      return playing;
    },
    get length() {
      return frames.length;
    },
    get player() {
      return player;
    },
    /** The run's frames, in seq order (read-only). */
    get frames() {
      return frames;
    },
  };
  return replay;
}
