/**
 * SLOs as pass/fail badges: one run's (`result.slos`, `{id, value, met}`) with the
 * scenario's definitions for their words, or a batch variant's share of seeds
 * (`{label, metric, op, target, met, n, ci95}`: "met in 17 of 20 seeds [64–95 %]").
 */
import { el, fmt } from "../dom.js";

const OPS = { "<=": "≤", ">=": "≥" };

function name(slo) {
  return slo.label || slo.id;
}

/** Badges for one result's SLOs; `defs` are the scenario's `slos` (for label, op, target). */
export function sloBadges(results, defs = []) {
  const byId = Object.fromEntries(defs.map((d) => [d.id, d]));
  const items = (results || []).map((r) => {
    const def = byId[r.id] || { id: r.id };
    const target = def.op ? ` ${OPS[def.op]} ${fmt(def.target, 3)}` : "";
    return el("span", {
      class: `badge ${r.met ? "slo-met" : "slo-missed"}`,
      dataset: { slo: r.id, met: String(r.met) },
      title: def.metric || r.id,
      text: `${r.met ? "✓" : "✗"} ${name(def)}: ${fmt(r.value, 3)}${target}`,
    });
  });
  return el("div", { class: "slo-badges", "aria-label": "SLOs" }, items);
}

/** Badges for a batch variant's SLOs across seeds. */
export function sloShareBadges(shares) {
  const items = (shares || []).map((s) => {
    const state = !s.n ? "slo-pending" : s.met === s.n ? "slo-met" : s.met === 0 ? "slo-missed" : "slo-partial";
    const ci = s.ci95 ? ` [${Math.round(s.ci95[0] * 100)}–${Math.round(s.ci95[1] * 100)} %]` : "";
    return el("span", {
      class: `badge ${state}`,
      dataset: { slo: s.id, met: String(s.met), n: String(s.n) },
      title: `${s.metric} ${OPS[s.op]} ${s.target}: 95 % Wilson interval of the share of seeds`,
      text: `${name(s)} ${OPS[s.op]} ${fmt(s.target, 3)}: met in ${s.met} of ${s.n} seeds${ci}`,
    });
  });
  return el("div", { class: "slo-badges", "aria-label": "SLOs across seeds" }, items);
}
