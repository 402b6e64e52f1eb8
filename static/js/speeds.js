/**
 * Playback speeds (simulated seconds per wall second): the one list offered by the run
 * page, the replay, the compare page, the shared page and the editor's Run box.
 */
import { el, replace } from "./dom.js";

/** Every speed a page offers, slowest first. */
export const SPEEDS = Object.freeze([0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20]);

const NOTES = { 0.01: "very slow", 1: "real time" };

/** The offered speed closest to `value` (the list's 1× for anything that is not a number). */
export function nearestSpeed(value) {
  const v = Number(value);
  if (!Number.isFinite(v) || v <= 0) return 1;
  return SPEEDS.reduce((a, b) => (Math.abs(Math.log(b / v)) < Math.abs(Math.log(a / v)) ? b : a));
}

/** The label of one speed: `0.05×`, `1× (real time)`. */
export function speedLabel(speed) {
  return NOTES[speed] ? `${speed}× (${NOTES[speed]})` : `${speed}×`;
}

/** Fill `select` with the speeds and select the one nearest `value`; returns `select`. */
export function fillSpeeds(select, value = 1) {
  replace(
    select,
    SPEEDS.map((s) => el("option", { value: String(s), text: speedLabel(s) })),
  );
  select.value = String(nearestSpeed(value));
  return select;
}
