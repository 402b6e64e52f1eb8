/**
 * The selected element's live numbers in the side panel: each instance's workers (busy,
 * blocked on a sync call, idle), queue and up/down; a topic's backlog per subscriber; a
 * link's messages in flight and breaker; a datastore's records, last write and how far
 * behind each reader is.
 */
import { el, fmt, replace } from "../dom.js";

function lines(kind, id, s) {
  if (!s) return [];
  if (kind === "service") {
    const insts = (s.services[id] && s.services[id].instances) || [];
    return insts.map((i, k) =>
      i.up
        ? `instance ${k}: busy ${fmt(i.working)} · blocked ${fmt(i.blocked)} · idle ${fmt(i.idle)} · queued ${fmt(i.queue)}`
        : `instance ${k}: down`,
    );
  }
  if (kind === "topic") {
    const t = s.topics && s.topics[id];
    if (!t) return [];
    return [
      `${t.up === false ? "down" : "up"} · published ${fmt(t.published)} · redelivered ${fmt(t.redelivered)} · dead-lettered ${fmt(t.dead_lettered)}`,
      ...Object.entries(t.backlog || {}).map(([sub, n]) => `waiting for ${sub}: ${fmt(n)}`),
    ];
  }
  if (kind === "datastore") {
    const d = s.datastores && s.datastores[id];
    if (!d) return [];
    const age = typeof d.last_write_t === "number" ? `${(s.t - d.last_write_t).toFixed(2)} s ago` : "never";
    return [
      `records ${fmt(d.records)} · last write ${age}`,
      ...Object.entries(d.behind || {}).map(([reader, lag]) => `${reader} sees it ${lag.toFixed(2)} s behind`),
    ];
  }
  const l = s.links && s.links[id];
  return l ? [`in flight ${fmt(l.in_flight)}${l.breaker ? ` · breaker ${l.breaker.replace("_", "-")}` : ""}`] : [];
}

/** Follow the graph's selection; `update(state)` refreshes the numbers (throttled). */
export function createDetails(cy) {
  let selected = null; // {kind, id, label}
  let last = 0;
  let state = null;
  const box = document.getElementById("element");

  function render() {
    if (!selected) return box.classList.add("hidden");
    box.classList.remove("hidden");
    document.getElementById("element-title").textContent = `${selected.kind} ${selected.label}`;
    replace(document.getElementById("element-stats"), ...lines(selected.kind, selected.id, state).map((text) => el("li", { text })));
  }

  cy.on("tap", "node, edge", (evt) => {
    const t = evt.target;
    selected = t.isEdge()
      ? { kind: "link", id: t.data("link"), label: t.data("link") }
      : { kind: t.data("kind"), id: t.id(), label: t.data("label") };
    render();
  });
  cy.on("tap", (evt) => {
    if (evt.target === cy) {
      selected = null;
      render();
    }
  });

  return {
    update(s) {
      state = s;
      const now = performance.now();
      if (selected && now - last > 250) {
        last = now;
        render();
      }
    },
  };
}
