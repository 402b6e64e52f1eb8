/**
 * Figures across seeds in words: a mean with its 95 % interval, a relative change with
 * its interval ("−38 % [−45, −31]"), and what a verdict lets the page claim. The numbers
 * come from a batch's `stats` and `diff` (docs/http-api.md, "Batches").
 */
import { fmt } from "../dom.js";

const MINUS = "\u2212";

function signed(text, value) {
  return value < 0 ? `${MINUS}${text.replace(/^-/, "")}` : value > 0 ? `+${text}` : text;
}

/** A share as a percentage with a precision that suits its size. */
function percent(share) {
  const p = share * 100;
  return Math.abs(p) >= 10 ? p.toFixed(0) : p.toFixed(1);
}

/** `−38 %`, `+4.2 %`, or a dash. */
export function relText(relative) {
  if (relative === null || relative === undefined) return "–";
  return `${signed(percent(relative), relative)} %`;
}

/** `−38 % [−45, −31]` (the relative change and its interval), or just the change. */
export function relInterval(relative, ci) {
  const head = relText(relative);
  if (!ci || relative === null || relative === undefined) return head;
  const [lo, hi] = ci.map((c) => signed(percent(c), c));
  return `${head} [${lo}, ${hi}]`;
}

/** `+13.3 [+9.8, +16.9]`: an absolute change and its interval. */
export function deltaInterval(delta, ci, digits = 3) {
  if (delta === null || delta === undefined) return "–";
  const head = signed(fmt(delta, digits), delta);
  if (!ci) return head;
  return `${head} [${ci.map((c) => signed(fmt(c, digits), c)).join(", ")}]`;
}

/** `12.3 [11.0, 13.6]`: a mean and its interval (one value alone without one). */
export function meanInterval(stats, digits = 1) {
  if (!stats || stats.mean === null || stats.mean === undefined) return "–";
  if (!stats.ci95) return fmt(stats.mean, digits);
  return `${fmt(stats.mean, digits)} [${fmt(stats.ci95[0], digits)}, ${fmt(stats.ci95[1], digits)}]`;
}

/** "over 20 seeds" / "over 1 seed". */
export function overSeeds(n) {
  return `over ${n} seed${n === 1 ? "" : "s"}`;
}

/** The sentence a diff row supports: "latency p99 (ms) −38 % [−45, −31] over 20 seeds". */
export function claim(row) {
  const change = row.relative === null ? deltaInterval(row.delta, row.ci95) : relInterval(row.relative, row.relative_ci95);
  return `${row.label} ${change} ${overSeeds(row.n)}`;
}

export const ONE_SEED =
  "One seed cannot tell the design from noise: a single pair of runs shows what happened on that seed, not which design is better. Run several seeds to see which differences hold.";
