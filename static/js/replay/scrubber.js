/**
 * The replay's controls: previous/next frame, play/pause, a timeline slider (seeks as it
 * moves), the simulated time, the frame number and the playback speed. Keys: Space plays
 * or pauses, ← and → step a frame (when no form field has the focus).
 */
import { el, replace } from "../dom.js";
import { fillSpeeds, selectSpeed } from "../speeds.js";

/** Build the controls in `container` for `replay`; `onSettle(t)` runs when the playhead rests. */
export function createScrubber(container, replay, { endS, onSettle = () => {} }) {
  const back = el("button", { type: "button", id: "replay-back", title: "Previous frame (←)", "aria-label": "Previous frame", text: "◀︎ frame" });
  const play = el("button", { type: "button", id: "replay-play", class: "primary", "aria-pressed": "false", text: "Play" });
  const next = el("button", { type: "button", id: "replay-next", title: "Next frame (→)", "aria-label": "Next frame", text: "frame ▶︎" });
  const seek = el("input", {
    type: "range",
    id: "replay-seek",
    min: "0",
    max: String(endS),
    step: "0.01",
    value: "0",
    "aria-label": "Playhead, simulated seconds",
  });
  const clock = el("span", { id: "replay-clock", class: "clock", text: "t = 0.00 s" });
  const frame = el("span", { id: "replay-frame", class: "muted", text: "" });
  const speed = fillSpeeds(el("select", { id: "replay-speed", "aria-label": "Replay speed" }), replay.speed());
  replace(
    container,
    el("div", { class: "replay-bar", role: "group", "aria-label": "Replay" }, back, play, next, seek, clock, frame, el("label", {}, "Speed ", speed)),
  );

  let dragging = false;
  replay.on("time", (t, i) => {
    if (!dragging) seek.value = String(t);
    clock.textContent = `t = ${t.toFixed(2)} s`;
    frame.textContent = `frame ${i + 1} / ${replay.length}`;
  });
  replay.on("speed", (value) => selectSpeed(speed, value));
  replay.on("play", (playing) => {
    play.textContent = playing ? "Pause" : "Play";
    play.setAttribute("aria-pressed", String(playing));
    if (!playing) onSettle(replay.t);
  });

  back.addEventListener("click", () => {
    replay.step(-1);
    onSettle(replay.t);
  });
  next.addEventListener("click", () => {
    replay.step(1);
    onSettle(replay.t);
  });
  play.addEventListener("click", () => replay.toggle());
  seek.addEventListener("input", () => {
    dragging = true;
    replay.seek(Number(seek.value));
  });
  seek.addEventListener("change", () => {
    dragging = false;
    replay.seek(Number(seek.value));
    onSettle(replay.t);
  });
  speed.addEventListener("change", () => replay.speed(Number(speed.value)));
  document.addEventListener("keydown", (event) => {
    // Form fields and buttons keep their own keys.
    if (event.target.closest && event.target.closest("input, select, textarea, button")) return;
    const action = { " ": () => replay.toggle(), ArrowLeft: () => replay.step(-1), ArrowRight: () => replay.step(1) }[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });
}
