/** Share links through `/api/shares` (docs/http-api.md), and the pieces both share UIs use. */
import { api } from "../api.js";
import { el } from "../dom.js";

export const EXPIRY_CHOICES = [
  ["never", null],
  ["in 1 hour", 3600],
  ["in 1 day", 86400],
  ["in 7 days", 7 * 86400],
  ["in 30 days", 30 * 86400],
];

/** A select of expiry choices (values are seconds from now, "" for never). */
export function expirySelect(attrs = {}) {
  return el(
    "select",
    attrs,
    EXPIRY_CHOICES.map(([label, seconds]) => el("option", { value: seconds === null ? "" : String(seconds), text: label })),
  );
}

/** The `expires_at` for a select's value: an ISO time, or null for never. */
export function expiresAt(value) {
  return value === "" ? null : new Date(Date.now() + Number(value) * 1000).toISOString();
}

/** "never expires", "expires <local time>" or, once past, "expired <local time>". */
export function expiryText(share) {
  if (!share.expires_at) return "never expires";
  const at = new Date(share.expires_at);
  return `${at <= new Date() ? "expired" : "expires"} ${at.toLocaleString()}`;
}

/** The full URL of a share link's path (`/s/<token>`), optionally at playhead `t`. */
export function shareUrl(path, t = null) {
  const url = new URL(path, location.origin);
  if (t !== null) url.hash = `t=${Number(t.toFixed(3))}`;
  return url.toString();
}

export const shares = {
  create: (target, expires) => api("shares", { method: "POST", body: { ...target, expires_at: expires } }),
  list: (query = "") => api(`shares${query}`),
  revoke: (id) => api(`shares/${encodeURIComponent(id)}`, { method: "DELETE" }),
  expire: (id, expires) => api(`shares/${encodeURIComponent(id)}`, { method: "PATCH", body: { expires_at: expires } }),
};
