/** The final result document (scenario-format.md, "Result") as tables. */
import { el, fmt, replace } from "../dom.js";
import { sloBadges } from "../analysis/slo-badges.js";

function table(caption, head, rows) {
  return el(
    "table",
    {},
    el("caption", { text: caption }),
    el("thead", {}, el("tr", {}, head.map((h) => el("th", { text: h })))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", { text: fmt(c) }))))),
  );
}

const P = ["mean", "p50", "p95", "p99", "max"];
const percent = (x) => (typeof x === "number" ? `${(100 * x).toFixed(1)}%` : x);
const pct = (o) => P.map((k) => (o ? o[k] : null));

/** Render `result` into `container` (replacing what was there); `doc` names its SLOs. */
export function renderResult(container, result, doc = null) {
  const r = result.requests || {};
  const parts = [
    result.slos && result.slos.length ? sloBadges(result.slos, (doc && doc.slos) || []) : null,
    table("Requests", ["started", "succeeded", "late", "failed", "unfinished", "throughput/s", "goodput/s"], [
      [r.started, r.succeeded, r.late, r.failed, r.unfinished, r.throughput_per_s, r.goodput_per_s],
    ]),
    table("Request latency (ms, succeeded requests)", P, [pct(r.latency_ms)]),
    table("Failures by first cause", ["cause", "requests"], Object.entries(r.failures || {})),
    table("Requests that met a fault", ["mode", "requests"], Object.entries(r.met_fault || {})),
  ];
  const services = Object.entries(result.services || {});
  if (services.length) {
    parts.push(
      table(
        "Services",
        ["service", "received", "completed", "failed", "rejected", "utilisation", "blocked share", "queue wait p95 ms", "response p95 ms"],
        services.map(([id, s]) => [
          id, s.received, s.completed, s.failed, s.rejected, percent(s.utilization), percent(s.blocked_fraction),
          s.queue_wait_ms && s.queue_wait_ms.p95, s.response_ms && s.response_ms.p95,
        ]),
      ),
    );
  }
  const links = Object.entries(result.links || {});
  if (links.length) {
    parts.push(
      table(
        "Links",
        ["link", "calls", "succeeded", "failed", "timeouts", "retries", "latency p50 ms", "latency p99 ms", "breaker open s"],
        links.map(([id, l]) => [
          id, l.calls, l.succeeded, l.failed, l.timeouts, l.retries,
          l.latency_ms && l.latency_ms.p50, l.latency_ms && l.latency_ms.p99, l.circuit_open_s,
        ]),
      ),
    );
  }
  const topics = Object.entries(result.topics || {});
  if (topics.length) {
    parts.push(
      table(
        "Topics",
        ["topic", "published", "delivered", "redelivered", "dead-lettered", "lost", "lag p95 ms"],
        topics.map(([id, t]) => [id, t.published, t.delivered, t.redelivered, t.dead_lettered, t.lost, t.delivery_lag_ms && t.delivery_lag_ms.p95]),
      ),
    );
  }
  const stores = Object.entries(result.datastores || {});
  if (stores.length) {
    parts.push(
      table(
        "Datastores",
        ["datastore", "writes", "reads", "staleness p50 ms", "staleness p95 ms"],
        stores.map(([id, d]) => [id, d.writes, d.reads, d.staleness_ms && d.staleness_ms.p50, d.staleness_ms && d.staleness_ms.p95]),
      ),
    );
  }
  if (result.stop) parts.push(el("p", { class: "muted", text: `Stopped early (${result.stop.reason}) at ${fmt(result.stop.t_s)} s.` }));
  replace(container, el("h2", { text: "Result" }), el("div", { class: "tables" }, parts));
}
