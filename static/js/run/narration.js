/**
 * "What happened": a run's incidents (docs/core-api.md, `Incidents`) as a list of plain
 * sentences, one button each. It is the canvas's text alternative: a `role="log"` region
 * that grows, politely announced, as the player's clock passes each incident's time.
 *
 * `createNarration(section, { onPick })` fills `section` (an empty element) and returns:
 * `add(incidents)` (any order, repeats ignored: a frame's `incidents`, or a result's),
 * `at(t)` (show those with t <= t, hide later ones after a seek back), `told()` (the
 * shown `{t, kind, text}`, for tests and the scene hook) and `clear()`. A click or Enter
 * on a sentence calls `onPick(incident)`: the page seeks its replay there (or, live,
 * points at the node or link concerned).
 */
import { el, replace } from "../dom.js";

/** "20.0 s", "0.25 s", "1234 s": the incident's time as the sentence's prefix. */
export function incidentTime(t) {
  if (t < 1) return `${t.toFixed(2)} s`;
  return t < 1000 ? `${t.toFixed(1)} s` : `${Math.round(t)} s`;
}

export function createNarration(section, { onPick = () => {} } = {}) {
  // A list inside the log region (a list element itself may not take role=log).
  const list = el("ol", { class: "narration-items" });
  const region = el(
    "div",
    {
      class: "narration-list",
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      "aria-label": "What happened, as the run goes on",
    },
    list,
  );
  const empty = el("p", { class: "muted narration-empty", text: "Nothing to tell yet." });
  replace(section, el("h3", { text: "What happened" }), empty, region);
  section.classList.add("narration");

  const known = []; // every incident, in time order
  const keys = new Set();
  const shown = []; // [incident, li], a prefix of `known`
  let now = 0;

  function key(inc) {
    return `${inc.t}|${inc.kind}|${inc.node ?? ""}|${inc.link ?? ""}|${inc.text}`;
  }

  function item(inc) {
    const button = el(
      "button",
      { type: "button", class: `narration-item ${inc.severity || "info"}`, onclick: () => onPick(inc) },
      el("span", { class: "narration-t", text: incidentTime(inc.t) }),
      " ",
      el("span", { class: "narration-text", text: inc.text }),
    );
    button.dataset.t = String(inc.t);
    button.title = "Go to this moment";
    return el("li", {}, button);
  }

  let current = null; // the button of the latest incident shown
  let scrolledBack = false; // the reader scrolled up to read: do not pull them down
  region.addEventListener("scroll", () => {
    scrolledBack = region.scrollTop + region.clientHeight < region.scrollHeight - 4;
  });
  function sync() {
    while (shown.length && shown[shown.length - 1][0].t > now) shown.pop()[1].remove();
    while (shown.length < known.length && known[shown.length].t <= now) {
      const inc = known[shown.length];
      const li = item(inc);
      list.append(li);
      shown.push([inc, li]);
    }
    const latest = shown.length ? shown[shown.length - 1][1].firstChild : null;
    if (latest !== current) {
      if (current) current.removeAttribute("aria-current");
      if (latest) latest.setAttribute("aria-current", "step");
      current = latest;
      // The list scrolls by itself (not the page): keep the newest sentence in view.
      if (latest && !scrolledBack) region.scrollTop = region.scrollHeight;
    }
    empty.classList.toggle("hidden", shown.length > 0);
  }

  return {
    add(incidents) {
      let inOrder = true;
      let grew = false;
      for (const inc of incidents || []) {
        const k = key(inc);
        if (keys.has(k)) continue;
        keys.add(k);
        if (known.length && inc.t < known[known.length - 1].t) inOrder = false;
        known.push(inc);
        grew = true;
      }
      if (!grew) return this;
      if (!inOrder) {
        // Rare (a result after frames): sort (stably: equal times keep the core's order)
        // and show again, rather than announce sentences out of order.
        known.sort((a, b) => a.t - b.t);
        for (const [, li] of shown) li.remove();
        shown.length = 0;
        current = null;
      }
      sync();
      return this;
    },
    at(t) {
      now = t;
      sync();
      return this;
    },
    told: () => shown.map(([inc]) => ({ t: inc.t, kind: inc.kind, text: inc.text })),
    clear() {
      known.length = 0;
      keys.clear();
      for (const [, li] of shown) li.remove();
      shown.length = 0;
      current = null;
      sync();
      return this;
    },
  };
}
