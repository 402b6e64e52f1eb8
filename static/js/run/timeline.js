/** The fault timeline under the graph: scheduled and injected faults as spans, and "now". */
import { el } from "../dom.js";

export function createTimeline(container, endS) {
  const now = container.querySelector(".now");
  const marks = []; // [target, mode, from_s]
  const pct = (t) => `${Math.max(0, Math.min(100, (100 * t) / endS))}%`;
  return {
    /**
     * Mark a fault `{target, mode, from_s, to_s}` once: the same fault reported again (by
     * the injecting page, the trace and the run record) within a second is not repeated.
     */
    fault(f, { injected = false } = {}) {
      const from = f.from_s || 0;
      if (marks.some(([t, m, s]) => t === f.target && m === f.mode && Math.abs(s - from) < 1)) return;
      marks.push([f.target, f.mode, from]);
      const to = f.to_s === null || f.to_s === undefined ? endS : f.to_s;
      const span = el("div", {
        class: "fault",
        title: `${injected ? "injected " : ""}${f.mode} on ${f.target} from ${from} s`,
        text: `${f.mode} ${f.target}`,
      });
      // CSSOM positioning (not a style attribute), which the CSP allows.
      span.style.left = pct(from);
      span.style.width = `calc(${pct(to)} - ${pct(from)})`;
      if (injected) span.classList.add("injected");
      container.append(span);
    },
    at(t) {
      now.style.left = pct(t);
    },
  };
}
