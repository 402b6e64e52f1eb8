/**
 * Graph labels and classes that follow a run: exact message rates per link (scaled from the
 * frame's exact `counts` when events were sampled), in-flight counts, breaker states,
 * topic backlogs and datastore freshness. Written to cytoscape at most every 300 ms.
 */

const MESSAGE_KINDS = new Set(["send", "reply", "publish", "deliver", "redeliver", "write", "poll"]);
const TAU = 2; // simulated seconds over which rates are averaged

/** Set or clear a class only when it changes: a class change restyles (hundreds of elements). */
function setClass(element, name, on) {
  if (element.hasClass(name) !== on) element.toggleClass(name, on);
}

export function createLabels(cy) {
  const rates = new Map(); // link -> messages per simulated second
  let lastT = null;
  let state = null;
  let dirty = false;
  let lastFlush = 0;
  const flashUntil = new Map(); // element id -> wall ms

  function linkLabel(link, s) {
    const rate = rates.get(link) || 0;
    const parts = [];
    if (rate >= 0.05) parts.push(`${rate >= 10 ? Math.round(rate) : rate.toFixed(1)}/s`);
    if (s && s.in_flight) parts.push(`${s.in_flight} in flight`);
    const label = parts.join(" · ");
    if (s && s.breaker && s.breaker !== "closed") return `breaker ${s.breaker.replace("_", "-")}\n${label}`;
    return label;
  }

  function nodeLabel(node) {
    const base = node.data("label");
    if (!state) return base;
    const id = node.id();
    const kind = node.data("kind");
    if (kind === "topic" && state.topics && state.topics[id]) {
      const t = state.topics[id];
      const backlog = Object.values(t.backlog || {}).reduce((a, b) => a + b, 0);
      const extra = [`backlog ${backlog}`];
      if (t.redelivered) extra.push(`redelivered ${t.redelivered}`);
      if (t.dead_lettered) extra.push(`DLQ ${t.dead_lettered}`);
      return `${base}${t.up === false ? " (down)" : ""}\n${extra.join(" · ")}`;
    }
    if (kind === "datastore" && state.datastores && state.datastores[id]) {
      const d = state.datastores[id];
      const age = typeof d.last_write_t === "number" ? `${Math.max(0, state.t - d.last_write_t).toFixed(1)} s` : "never";
      const lags = Object.values(d.behind || {});
      const stale = lags.length ? `\nreaders ≤ ${Math.max(...lags).toFixed(1)} s behind` : "";
      return `${base}\n${d.records ?? 0} records\nlast write ${age === "never" ? age : `${age} ago`}${stale}`;
    }
    if (kind === "service" && state.services && state.services[id]) {
      const insts = state.services[id].instances || [];
      const down = insts.filter((i) => !i.up).length;
      if (down) return `${base}\n${down}/${insts.length} down`;
    }
    return base;
  }

  return {
    /** Fold one frame's message events into the per-link rates. */
    count(frame) {
      const dt = lastT === null ? 0 : Math.max(0, frame.t - lastT);
      lastT = frame.t;
      const decay = Math.exp(-dt / TAU);
      for (const [link, r] of rates) rates.set(link, r * decay);
      const events = frame.events || [];
      // Sampled frames keep exact totals per kind: weigh each drawn event so totals match.
      const seen = {};
      for (const e of events) seen[e.kind] = (seen[e.kind] || 0) + 1;
      const counted = new Map(); // link -> messages in this frame (weighted back to exact)
      for (const e of events) {
        if (!e.link || !MESSAGE_KINDS.has(e.kind)) continue;
        const exact = frame.counts && frame.counts[e.kind];
        const weight = frame.sampled && exact ? exact / seen[e.kind] : 1;
        counted.set(e.link, (counted.get(e.link) || 0) + weight);
      }
      // The frame's own rate blended in by how much of the averaging window it spans, so a
      // frame of 5 s (a fast run) counts as 5 s of messages, not as 2.
      for (const [link, n] of counted) {
        const add = dt > 0 ? (n / dt) * (1 - decay) : n / TAU;
        rates.set(link, (rates.get(link) || 0) + add);
      }
      dirty = true;
    },

    state(s) {
      state = s;
      dirty = true;
    },

    /** Flash the waiting caller and its link red for a moment. */
    flashTimeout(node, link) {
      const until = performance.now() + 900;
      if (node) flashUntil.set(node, until);
      if (link) flashUntil.set(`link:${link}`, until);
      dirty = true;
    },

    /** Write labels and classes to the graph when something changed (throttled). */
    flush(nowMs) {
      if (!dirty && !flashUntil.size) return;
      if (nowMs - lastFlush < 300 && !flashUntil.size) return;
      lastFlush = nowMs;
      dirty = false;
      cy.batch(() => {
        cy.edges().forEach((edge) => {
          const link = edge.data("link");
          const s = state && state.links ? state.links[link] : null;
          const label = linkLabel(link, s);
          if (edge.data("rate") !== label) edge.data("rate", label);
          const breaker = s && s.breaker;
          setClass(edge, "breaker-open", breaker === "open");
          setClass(edge, "breaker-half_open", breaker === "half_open");
        });
        cy.nodes().forEach((node) => {
          const label = nodeLabel(node);
          if (node.data("display") !== label) node.data("display", label);
          const svc = state && state.services && state.services[node.id()];
          const allDown = svc && svc.instances && svc.instances.length && svc.instances.every((i) => !i.up);
          const topic = state && state.topics && state.topics[node.id()];
          setClass(node, "down", Boolean(allDown || (topic && topic.up === false)));
        });
        for (const [id, until] of flashUntil) {
          const element = cy.getElementById(id);
          if (until <= nowMs) {
            flashUntil.delete(id);
            element.removeClass("timeout-flash");
          } else element.addClass("timeout-flash");
        }
      });
    },
  };
}
