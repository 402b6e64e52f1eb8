/**
 * A request's trace (GET /api/runs/{id}/requests/{corr}) as a waterfall: one row per span,
 * indented under its parent, its bar split into phases (queued, working, blocked, waiting,
 * network, attempt, backoff) on a shared time axis. Bars are placed with CSSOM properties,
 * which the strict CSP allows (it forbids style attributes, not `element.style`).
 */
import { el, fmt } from "../dom.js";

export const PHASES = ["queued", "working", "blocked", "waiting", "network", "attempt", "backoff"];

function depths(spans) {
  const byId = new Map(spans.map((s) => [s.id, s]));
  const depth = new Map();
  const of = (s) => {
    if (depth.has(s.id)) return depth.get(s.id);
    const d = s.parent === null || !byId.has(s.parent) ? 0 : of(byId.get(s.parent)) + 1;
    depth.set(s.id, d);
    return d;
  };
  spans.forEach(of);
  return depth;
}

function place(node, from, to, t0, total) {
  node.style.left = `${((from - t0) / total) * 100}%`;
  node.style.width = `${Math.max(((to - from) / total) * 100, 0.3)}%`;
  return node;
}

/** The waterfall element for `trace`. */
export function waterfall(trace) {
  const spans = trace.spans;
  const t0 = Math.min(...spans.map((s) => s.start_ms));
  const t1 = Math.max(...spans.map((s) => s.end_ms));
  const total = Math.max(t1 - t0, 1e-6);
  const depth = depths(spans);
  const rows = spans.map((s) => {
    const bar = place(el("div", { class: `bar kind-${s.kind} status-${s.status}` }), s.start_ms, s.end_ms, t0, total);
    for (const p of s.phases) {
      const title = `${p.phase} ${fmt(p.end_ms - p.start_ms, 3)} ms${p.attempt ? ` (attempt ${p.attempt}: ${p.outcome})` : ""}`;
      const seg = el("div", { class: `phase phase-${p.phase}`, title, dataset: { phase: p.phase } });
      // Phases are placed within the span's own bar.
      place(seg, p.start_ms, p.end_ms, s.start_ms, Math.max(s.end_ms - s.start_ms, 1e-6));
      bar.append(seg);
    }
    for (const e of s.events) {
      const mark = el("div", { class: `mark mark-${e.name}`, title: `${e.name}${e.reason ? ` (${e.reason})` : ""} at ${fmt(e.t_ms, 3)} ms` });
      mark.style.left = `${((e.t_ms - s.start_ms) / Math.max(s.end_ms - s.start_ms, 1e-6)) * 100}%`;
      bar.append(mark);
    }
    const label = el(
      "div",
      { class: "label" },
      el("span", { class: "kind", text: s.kind }),
      " ",
      el("span", { text: s.name }),
      s.instance ? el("span", { class: "muted", text: ` ${s.instance}` }) : null,
      s.reason ? el("span", { class: "reason", text: ` ${s.reason}` }) : null,
    );
    label.style.paddingLeft = `${depth.get(s.id) * 14}px`;
    return el(
      "div",
      { class: "wf-row", dataset: { span: s.id, kind: s.kind } },
      label,
      el("div", { class: "track" }, bar),
      el("div", { class: "dur num", text: `${fmt(s.duration_ms, 3)} ms` }),
    );
  });
  const legendItems = PHASES.map((p) => el("span", { class: "legend-item" }, el("span", { class: `swatch phase-${p}` }), p));
  return el(
    "div",
    { class: "waterfall" },
    el("div", { class: "wf-legend" }, legendItems),
    el("div", { class: "wf-axis muted", text: `${fmt(t0, 3)} ms → ${fmt(t1, 3)} ms (simulated)` }),
    rows,
  );
}
