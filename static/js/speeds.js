/**
 * Playback speeds (simulated seconds per wall second): the one list offered by the run
 * page, the replay, the compare page, the shared page and the editor's Run box.
 */
import { el, replace } from "./dom.js";

/** Every speed a page offers, slowest first. */
export const SPEEDS = Object.freeze([0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20]);

const NOTES = { 0.01: "very slow", 1: "real time" };

/** `value` as a speed: a positive number, else the list's 1×. */
function asSpeed(value) {
  const v = Number(value);
  return Number.isFinite(v) && v > 0 ? v : 1;
}

/**
 * The speeds a select offers while `value` is chosen: the list, with `value` itself in
 * its place when it is not on it (a run started through the API at 3× shows 3×, not 2×).
 */
export function speedOptions(value) {
  const speed = asSpeed(value);
  return SPEEDS.includes(speed) ? [...SPEEDS] : [...SPEEDS, speed].sort((a, b) => a - b);
}

/** The label of one speed: `0.05×`, `1× (real time)`. */
export function speedLabel(speed) {
  return NOTES[speed] ? `${speed}× (${NOTES[speed]})` : `${speed}×`;
}

/** Fill `select` with the speeds and select `value` (1× if it is not a speed); returns `select`. */
export function fillSpeeds(select, value = 1) {
  replace(
    select,
    speedOptions(value).map((s) => el("option", { value: String(s), text: speedLabel(s) })),
  );
  select.value = String(asSpeed(value));
  return select;
}

/** Select `value` in a `select` filled by `fillSpeeds`, adding it first when it is not offered. */
export function selectSpeed(select, value) {
  const speed = asSpeed(value);
  if ([...select.options].some((option) => Number(option.value) === speed)) select.value = String(speed);
  else fillSpeeds(select, speed);
  return select;
}
