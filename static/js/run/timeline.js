/** The fault timeline under the graph: scheduled and injected faults as spans, and "now". */
import { el } from "../dom.js";

export function createTimeline(container, endS) {
  const now = container.querySelector(".now");
  const marks = new Set();
  const pct = (t) => `${Math.max(0, Math.min(100, (100 * t) / endS))}%`;
  return {
    /** Mark a fault `{target, mode, from_s, to_s}` once (repeats of the same are ignored). */
    fault(f, { injected = false } = {}) {
      const key = `${f.target}|${f.mode}|${f.from_s}`;
      if (marks.has(key)) return;
      marks.add(key);
      const from = f.from_s || 0;
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
