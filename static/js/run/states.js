/**
 * A run's states as the API names them (docs/http-api.md): the final ones, after which no
 * frame follows and the result (if any) is stored. The one list every page reads.
 */

/** States a run never leaves. */
export const FINAL_STATES = Object.freeze(new Set(["succeeded", "failed", "cancelled"]));

/** True when `state` is final (the run is over). */
export function isFinal(state) {
  return FINAL_STATES.has(state);
}
