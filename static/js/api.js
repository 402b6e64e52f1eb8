/**
 * JSON over HTTP to mscomm's `/api/` (docs/http-api.md): session auth, CSRF token from the
 * `csrftoken` cookie on unsafe methods, errors raised as ApiError with the server's detail.
 */

export class ApiError extends Error {
  /** `status` is the HTTP status, `detail` the body's detail (a string or a list of problems). */
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : `HTTP ${status}`);
    this.status = status;
    this.detail = detail;
  }

  /** The 422 field problems as `[{loc, msg}]` (empty for other errors). */
  get problems() {
    return Array.isArray(this.detail) ? this.detail : [];
  }
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/**
 * Call `path` (under /api/) with an optional JSON body; resolves to the parsed JSON or null.
 * `keepalive` lets the request outlive the page (at most 64 KiB of body, the browser's limit).
 */
export async function api(path, { method = "GET", body, keepalive = false } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = csrfToken();
  const response = await fetch(`/api/${path}`, {
    method,
    headers,
    credentials: "same-origin",
    keepalive,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text.slice(0, 200) };
  }
  if (!response.ok) throw new ApiError(response.status, data && data.detail !== undefined ? data.detail : `HTTP ${response.status}`);
  return data;
}
