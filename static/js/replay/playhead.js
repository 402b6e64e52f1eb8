/**
 * A moment of a run in its URL: `?t=12.5` or `#t=12.5` (simulated seconds). The fragment
 * is what we write, since it never reaches a server.
 */

/** The playhead in `href` (a number >= 0), or null when there is none or it is not one. */
export function playheadFrom(href = location.href) {
  const url = new URL(href);
  let raw = url.searchParams.get("t");
  if (raw === null) raw = new URLSearchParams(url.hash.slice(1)).get("t");
  if (raw === null || raw.trim() === "") return null;
  const t = Number(raw);
  return Number.isFinite(t) && t >= 0 ? t : null;
}

/** `href` pointing at simulated time `t` (any earlier playhead removed). */
export function playheadUrl(t, href = location.href) {
  const url = new URL(href);
  url.searchParams.delete("t");
  url.hash = `t=${Number(t.toFixed(3))}`;
  return url.toString();
}
