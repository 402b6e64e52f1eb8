/**
 * One request's sequence diagram: a lane per service instance (or topic, datastore) it
 * touched, an arrow per message between them, marks for what happened on a lane (arrived,
 * timed out, dropped, dead-lettered, finished). `sequenceModel(events)` turns the
 * request's trace events (docs/core-api.md) into that model, pure and testable;
 * `sequenceSvg(model, {until})` draws the part of it that has happened by simulated time
 * `until`, so the diagram grows as the playback clock moves.
 */

const SVG = "http://www.w3.org/2000/svg";
/** Trace event kinds that are a message from `src` to `dst`. */
export const MESSAGE_KINDS = new Set(["send", "reply", "publish", "deliver", "redeliver", "write", "poll"]);
const MARKS = {
  arrive: "arrived",
  complete: "succeeded",
  fail: "failed",
  timeout: "timed out",
  drop: "dropped",
  rejected: "rejected",
  dead_letter: "dead letter",
  retry: "retry",
  crash: "crashed",
};
const ENDS = new Set(["complete", "fail"]);

/** The message type a hop is drawn as (its key in graph/palette.js MESSAGE_TYPES). */
export function messageType(e) {
  if (e.kind === "reply") return e.ok === false ? "failed" : "reply";
  if (e.kind === "redeliver" || (e.attempt || 1) > 1) return "retry";
  if (e.kind === "publish" || e.kind === "deliver") return "event";
  return e.msg || "request";
}

/** The lane a node event happens on: `order/1`, or the node id without an instance. */
function laneOfNode(e) {
  if (e.kind === "timeout" && e.src) return e.src;
  if ((e.kind === "drop" || e.kind === "rejected") && e.src) return e.src;
  if (e.node === undefined || e.node === null) return e.src || e.dst || null;
  return typeof e.instance === "number" ? `${e.node}/${e.instance}` : e.node;
}

/**
 * `{corr, lanes, arrows, marks, start, end, outcome}` from one request's trace events (any
 * order; other requests' events are ignored). Arrows are `{t, t1, from, to, type, link}`
 * in simulated seconds; marks `{t, lane, kind, text}`; `end` is the time it succeeded or
 * failed (null while unfinished), `outcome` `succeeded` | `failed` | null.
 */
export function sequenceModel(events, corr = null) {
  const mine = events.filter((e) => e && (corr === null || e.corr === corr)).slice();
  mine.sort((a, b) => a.t - b.t);
  const lanes = [];
  const lane = (name) => {
    if (name && !lanes.includes(name)) lanes.push(name);
    return name;
  };
  const arrows = [];
  const marks = [];
  let end = null;
  let outcome = null;
  for (const e of mine) {
    if (MESSAGE_KINDS.has(e.kind) && e.src && e.dst) {
      const t1 = typeof e.arrive_t === "number" ? e.arrive_t : e.t;
      arrows.push({ t: e.t, t1, from: lane(e.src), to: lane(e.dst), type: messageType(e), link: e.link || null });
    } else if (MARKS[e.kind]) {
      const where = lane(laneOfNode(e));
      if (!where) continue;
      const why = e.reason && e.kind !== "arrive" ? ` (${e.reason})` : "";
      marks.push({ t: e.t, lane: where, kind: e.kind, text: `${MARKS[e.kind]}${why}` });
      if (ENDS.has(e.kind) && end === null) {
        end = e.t;
        outcome = e.kind === "complete" ? "succeeded" : "failed";
      }
    }
  }
  return {
    corr: corr ?? (mine[0] ? mine[0].corr : null),
    lanes,
    arrows,
    marks,
    start: mine.length ? mine[0].t : null,
    end,
    outcome,
  };
}

/** How many of the model's arrows and marks have begun by simulated time `t`. */
export function shownBy(model, t) {
  let n = 0;
  for (const a of model.arrows) if (a.t <= t) n += 1;
  for (const m of model.marks) if (m.t <= t) n += 1;
  return n;
}

function make(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

/**
 * The diagram as an `<svg>`: what happened by `until` (all of it by default). `label(name)`
 * names a lane for people (`Order #2`); `colors[type]` colours an arrow.
 */
export function sequenceSvg(model, { until = Infinity, label = (name) => name, colors = {}, laneWidth = 92, rowHeight = 22 } = {}) {
  const items = [
    ...model.arrows.filter((a) => a.t <= until).map((a) => ({ t: a.t, arrow: a })),
    ...model.marks.filter((m) => m.t <= until).map((m) => ({ t: m.t, mark: m })),
  ].sort((a, b) => a.t - b.t || (a.mark ? 1 : 0) - (b.mark ? 1 : 0));
  const head = 34;
  const width = Math.max(1, model.lanes.length) * laneWidth;
  const height = head + (items.length + 1) * rowHeight;
  const x = (name) => (model.lanes.indexOf(name) + 0.5) * laneWidth;
  const svg = make("svg", {
    class: "sequence",
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `Request ${model.corr}: ${items.length} steps so far across ${model.lanes.length} lanes`,
  });
  const defs = make("defs");
  const marker = make("marker", { id: "seq-head", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.append(make("path", { d: "M0,0 L10,5 L0,10 z", fill: "#334155" }));
  defs.append(marker);
  svg.append(defs);
  model.lanes.forEach((name) => {
    const cx = x(name);
    svg.append(make("line", { x1: cx, y1: head - 6, x2: cx, y2: height, class: "seq-life" }));
    const [first, second] = String(label(name)).split("\n");
    svg.append(make("text", { x: cx, y: 12, class: "seq-lane", "text-anchor": "middle" }, first.slice(0, 16)));
    if (second) svg.append(make("text", { x: cx, y: 25, class: "seq-lane-sub", "text-anchor": "middle" }, second.slice(0, 16)));
  });
  items.forEach((item, i) => {
    const y = head + (i + 0.6) * rowHeight;
    // Times from the request's arrival: what a reader compares is how long each hop took.
    const when = `+${((item.t - (model.start ?? 0)) * 1000).toFixed(1)} ms`;
    if (item.arrow) {
      const a = item.arrow;
      const x1 = x(a.from);
      const x2 = x(a.to);
      const color = colors[a.type] || "#334155";
      const g = make("g", { class: `seq-step seq-${a.type}`, "data-t": a.t });
      if (x1 === x2) {
        g.append(make("path", { d: `M${x1},${y - 6} h18 v10 h-16`, fill: "none", stroke: color, "stroke-width": 2, "marker-end": "url(#seq-head)" }));
      } else {
        g.append(make("line", { x1, y1: y, x2: x2 + (x2 > x1 ? -3 : 3), y2: y, stroke: color, "stroke-width": 2, "marker-end": "url(#seq-head)" }));
      }
      const mid = (x1 + x2) / 2;
      g.append(make("text", { x: x1 === x2 ? x1 + 22 : mid, y: y - 4, class: "seq-note", "text-anchor": x1 === x2 ? "start" : "middle" }, `${a.link || a.type} · ${when}`));
      g.append(make("title", {}, `${a.type} ${label(a.from).replace("\n", " ")} → ${label(a.to).replace("\n", " ")} at ${when}`));
      svg.append(g);
    } else {
      const m = item.mark;
      const cx = x(m.lane);
      const bad = m.kind !== "arrive" && m.kind !== "complete";
      const g = make("g", { class: `seq-mark seq-${m.kind}${bad ? " seq-bad" : ""}`, "data-t": m.t });
      g.append(make("rect", { x: cx - laneWidth / 2 + 4, y: y - 11, width: laneWidth - 8, height: 15, rx: 3 }));
      g.append(make("text", { x: cx, y, class: "seq-mark-text", "text-anchor": "middle" }, m.text.slice(0, 18)));
      g.append(make("title", {}, `${m.text} at ${when}`));
      svg.append(g);
    }
  });
  return svg;
}
