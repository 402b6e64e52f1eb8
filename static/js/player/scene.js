/**
 * The run view's scene: what the state snapshot says, drawn inside the nodes on the overlay
 * canvas, plus the short-lived marks that tell what just happened.
 *
 * - A service is a container of instance boxes (player/boxes.js); each box shows one cell per
 *   worker (idle: white, working: solid blue, blocked on a sync call: amber hatched, so they
 *   read in greyscale), a stack of the requests waiting for a worker with its count, and a
 *   grey crossed box when the instance is down. Blocked cells are tied by a dashed line to
 *   the sync link they wait on.
 * - An async link runs through a broker box at its midpoint: the callee's request queue and
 *   the caller's reply queue with their depths (`links[id].queued`; before the core reports
 *   it, the instances' queues stand in and the hook says `estimated`).
 * - A topic lists one queue per subscriber with its backlog, redeliveries looping back, and
 *   its dead-letter queue; a datastore its records and how far behind each reader is.
 * - A breaker's state is a badge on its link.
 *
 * Anchors are the points particles leave from and land on: an instance box, a topic's queue
 * for one subscriber, a node's centre. `snapshot()` is what `window.mscommScene()` reports:
 * what the canvas shows now (docs/front-end.md, "The scene hook").
 */
import { BROKER, CELL, CELL_GAP, MAX_BOXES, boxesOf } from "./boxes.js";
import { nodeOf, instanceOf } from "./geometry.js";

const COLOR = {
  box: "#ffffff",
  boxLine: "#93c5fd",
  text: "#1f2937",
  muted: "#4b5563",
  working: "#1d4ed8",
  idleLine: "#9ca3af",
  blocked: "#f59e0b",
  blockedLine: "#78350f",
  down: "#d1d5db",
  cross: "#b91c1c",
  waiting: "#dc2626",
  request: "#0f766e",
  reply: "#7c3aed",
  dead: "#7f1d1d",
  broker: "#b45309",
};
const CHIPS = 12; // queue chips drawn before "+"

function hatch() {
  const c = document.createElement("canvas");
  c.width = 6;
  c.height = 6;
  const g = c.getContext("2d");
  g.fillStyle = COLOR.blocked;
  g.fillRect(0, 0, 6, 6);
  g.strokeStyle = COLOR.blockedLine;
  g.lineWidth = 1.4;
  g.beginPath();
  g.moveTo(-1, 7);
  g.lineTo(7, -1);
  g.moveTo(-1, 1);
  g.lineTo(1, -1);
  g.moveTo(5, 7);
  g.lineTo(7, 5);
  g.stroke();
  return c;
}

/** Cell states for one instance: blocked first (they lead to the call), then working, idle. */
export function cellStates(inst) {
  if (!inst) return [];
  const out = [];
  for (const key of ["blocked", "working", "idle"]) for (let i = 0; i < (inst[key] || 0); i += 1) out.push(key);
  return out;
}

/** `cells` worker states folded onto `n` drawn cells (each standing for several workers). */
function foldCells(states, n) {
  if (states.length <= n) return states;
  const out = [];
  for (let i = 0; i < n; i += 1) out.push(states[Math.floor(((i + 0.5) * states.length) / n)]);
  return out;
}

/** The sum of `instances[]` as one (for an aggregate box). */
function aggregate(instances) {
  const sum = { up: false, working: 0, blocked: 0, idle: 0, queue: 0, upCount: 0 };
  for (const i of instances) {
    for (const k of ["working", "blocked", "idle", "queue"]) sum[k] += i[k] || 0;
    if (i.up) sum.upCount += 1;
  }
  sum.up = sum.upCount > 0;
  return sum;
}

export function createScene(cy) {
  const boxes = new Map(); // node id -> boxesOf(node)
  const labelOf = new Map();
  const kindOf = new Map();
  const nodeRef = new Map(); // node id -> its cytoscape element (getElementById builds a collection)
  const syncOut = new Map(); // service id -> its outgoing sync edges (what blocked cells wait on)
  cy.nodes().forEach((n) => {
    boxes.set(n.id(), boxesOf(n));
    labelOf.set(n.id(), n.data("label"));
    kindOf.set(n.id(), n.data("kind"));
    nodeRef.set(n.id(), n);
    syncOut.set(n.id(), n.outgoers("edge").filter((e) => e.data("style") === "sync").toArray());
  });
  const allEdges = cy.edges().toArray();
  const sourceEnd = new Map(); // edge id -> its rendered source endpoint, this frame
  const asyncEdges = cy.edges('[style = "async"]');
  const anchors = []; // {node, instance, row}
  const anchorIds = new Map();
  let xy = new Float32Array(256);
  let pattern = null;
  let frameState = null;
  let drawnQueues = [];
  let drawnInstances = [];
  let drawnBreakers = [];
  let drawnReaders = [];
  const redeliveredAt = new Map(); // topic>sub -> wall ms of the last redelivery

  function anchorKey(node, instance, row) {
    return `${node}|${instance ?? ""}|${row ?? ""}`;
  }

  function anchorId(node, instance, row) {
    const key = anchorKey(node, instance, row);
    let id = anchorIds.get(key);
    if (id === undefined) {
      id = anchors.length;
      anchors.push({ node, instance, row });
      anchorIds.set(key, id);
    }
    return id;
  }

  // Node origins for the current frame: the view (pan, zoom) and positions read once.
  let origins = new Map();
  let originsKey = "";

  /** Top-left of node `id` in rendered px and the zoom. */
  function origin(id) {
    const pan = cy.pan();
    const z = cy.zoom();
    const key = `${pan.x}|${pan.y}|${z}|${moved}`;
    if (key !== originsKey) {
      origins = new Map();
      originsKey = key;
    }
    let o = origins.get(id);
    if (o !== undefined) return o;
    const node = nodeRef.get(id);
    if (!node || node.removed()) o = null;
    else {
      // Model position to rendered: cheaper than renderedPosition() for hundreds of nodes.
      const p = node.position();
      const b = boxes.get(id);
      o = { x: p.x * z + pan.x - (b.w / 2) * z, y: p.y * z + pan.y - (b.h / 2) * z, z, b };
    }
    origins.set(id, o);
    return o;
  }
  let moved = 0; // bumped whenever a node moves (a layout)
  cy.on("position", () => {
    moved += 1;
  });
  const midpoints = new Map(); // edge id -> [view key, rendered midpoint]

  function instanceRect(o, k) {
    const list = o.b.instances;
    const box = list.length === 1 && list[0].count > 1 ? list[0] : list[Math.min(k, list.length - 1)];
    return { x: o.x + box.x * o.z, y: o.y + box.y * o.z, w: box.w * o.z, h: box.h * o.z, box };
  }

  function rowRect(o, id) {
    const row = o.b.rows.find((r) => r.id === id) || o.b.rows[0];
    if (!row) return null;
    return { x: o.x + row.x * o.z, y: o.y + row.y * o.z, w: row.w * o.z, h: row.h * o.z };
  }

  const scene = {
    /**
     * The anchor a message endpoint lands on: `"order/2"` is instance 2's box; a topic or
     * datastore endpoint is its row for the service at the other end (`peer`).
     */
    anchor(endpoint, peer) {
      const node = nodeOf(endpoint);
      if (!node || !boxes.has(node)) return -1;
      const k = instanceOf(endpoint);
      if (k !== null && !Number.isNaN(k)) return anchorId(node, k, null);
      const kind = cy.getElementById(node).data("kind");
      if (kind !== "service" && peer) {
        const rows = boxes.get(node).rows;
        if (rows.some((r) => r.id === peer)) return anchorId(node, null, peer);
      }
      return anchorId(node, null, null);
    },

    info(id) {
      return anchors[id];
    },

    /** Refresh every anchor's rendered position: 2 floats per anchor. */
    update() {
      if (xy.length < anchors.length * 2) xy = new Float32Array(anchors.length * 2 + 64);
      for (let i = 0; i < anchors.length; i += 1) {
        const a = anchors[i];
        const o = origin(a.node);
        if (!o) continue;
        let r = null;
        if (a.instance !== null) r = instanceRect(o, a.instance);
        else if (a.row !== null) r = rowRect(o, a.row);
        if (r) {
          xy[2 * i] = r.x + r.w / 2;
          xy[2 * i + 1] = r.y + r.h / 2;
        } else {
          xy[2 * i] = o.x + (o.b.w * o.z) / 2;
          xy[2 * i + 1] = o.y + (o.b.h * o.z) / 2;
        }
      }
      return xy;
    },

    /** The centre of instance `k` of `node` (rendered px), or of the node. */
    instanceCenter(node, k) {
      const o = origin(node);
      if (!o) return null;
      if (k === null || k === undefined || !o.b.instances.length) return { x: o.x + (o.b.w * o.z) / 2, y: o.y + (o.b.h * o.z) / 2 };
      const r = instanceRect(o, k);
      return { x: r.x + r.w / 2, y: r.y + r.h / 2, rect: r };
    },

    /** Where an endpoint (`"order/2"`, a topic or datastore id) is drawn (rendered px), or null. */
    placeOf(endpoint) {
      const node = nodeOf(endpoint);
      if (!node || !boxes.has(node)) return null;
      const k = instanceOf(endpoint);
      const c = scene.instanceCenter(node, k === null || Number.isNaN(k) ? null : k);
      return c ? { x: c.x, y: c.y } : null;
    },

    /** The instance box under rendered point (x, y): `{node, instance}`, or null. */
    cellAt(x, y) {
      for (const [id, b] of boxes) {
        if (!b.instances.length) continue;
        const o = origin(id);
        if (!o || x < o.x || y < o.y || x > o.x + b.w * o.z || y > o.y + b.h * o.z) continue;
        for (const box of b.instances) {
          const r = { x: o.x + box.x * o.z, y: o.y + box.y * o.z, w: box.w * o.z, h: box.h * o.z };
          if (x >= r.x && x <= r.x + r.w && y >= r.y && y <= r.y + r.h) {
            // An aggregate box stands for all its instances: the first one answers.
            return { node: id, instance: box.index ?? 0 };
          }
        }
      }
      return null;
    },

    /** Where the first blocked cell of instance `k` is (timeouts burst there). */
    blockedCell(node, k) {
      const o = origin(node);
      if (!o || !o.b.instances.length) return scene.instanceCenter(node, k);
      const r = instanceRect(o, k);
      return { x: r.x + (6 + CELL / 2) * o.z, y: r.y + (13 + CELL / 2) * o.z };
    },

    /** The row of a topic or datastore for service `id` (rendered px). */
    row(node, id) {
      const o = origin(node);
      return o ? rowRect(o, id) : null;
    },

    /** The broker box of async edge `edge` (rendered px), or null. */
    brokerRect(edge) {
      if (edge.data("style") !== "async") return null;
      const pan = cy.pan();
      const key = `${pan.x}|${pan.y}|${cy.zoom()}|${moved}`;
      let known = midpoints.get(edge.id());
      if (!known || known[0] !== key) {
        known = [key, edge.renderedMidpoint()];
        midpoints.set(edge.id(), known);
      }
      const m = known[1];
      const z = cy.zoom();
      return { x: m.x - (BROKER.w / 2) * z, y: m.y - (BROKER.h / 2) * z, w: BROKER.w * z, h: BROKER.h * z, cx: m.x, cy: m.y };
    },

    /** Where a breaker badge sits on `edge`: a third of the way from its source. */
    breakerAt(edge) {
      const a = edge.renderedSourceEndpoint();
      const b = edge.renderedTargetEndpoint();
      return { x: a.x + (b.x - a.x) * 0.3, y: a.y + (b.y - a.y) * 0.3 };
    },

    redelivered(topic, sub) {
      redeliveredAt.set(`${topic}>${sub}`, performance.now());
    },

    /** Draw every node's insides for `state` (nothing before the first snapshot). */
    draw(ctx, state) {
      frameState = state;
      sourceEnd.clear();
      drawnQueues = [];
      drawnInstances = [];
      drawnBreakers = [];
      drawnReaders = [];
      if (!state) return;
      if (!pattern) pattern = ctx.createPattern(hatch(), "repeat");
      const z = cy.zoom();
      const detail = z >= 0.45; // titles and numbers; below, only boxes and cells
      const cells = { idle: [], working: [], blocked: [], down: [] };
      const bars = { idle: [], working: [], blocked: [] };
      const text = [];
      const crosses = [];
      const tethers = [];
      const chips = [];
      ctx.lineWidth = 1;
      for (const [id, b] of boxes) {
        const o = origin(id);
        if (!o) continue;
        const kind = kindOf.get(id);
        if (kind === "service") drawService(ctx, id, o, state, { cells, bars, text, crosses, tethers, chips, detail });
        else if (kind === "topic") drawTopic(ctx, id, o, state, { text, chips, detail });
        else if (kind === "datastore") drawStore(ctx, id, o, state, { text, detail });
        void b;
      }
      const brokers = [];
      asyncEdges.forEach((edge) => drawBroker(ctx, edge, state, { text, chips, detail, brokers }));
      if (brokers.length) {
        // Every broker box in one dashed path (hundreds of async links cost one stroke).
        ctx.save();
        ctx.fillStyle = "#fffbeb";
        ctx.strokeStyle = COLOR.broker;
        // Dashes are costly to rasterize: only when the boxes are big enough to read them.
        if (detail) ctx.setLineDash([5 * z, 3 * z]);
        ctx.beginPath();
        for (const r of brokers) ctx.rect(r.x, r.y, r.w, r.h);
        ctx.fill();
        ctx.stroke();
        ctx.restore();
      }
      // Cells in one path per state: thousands of workers cost four fills.
      const s = CELL * z;
      const paint = (list, fill, stroke) => {
        if (!list.length) return;
        ctx.beginPath();
        for (let i = 0; i < list.length; i += 2) ctx.rect(list[i], list[i + 1], s, s);
        ctx.fillStyle = fill;
        ctx.fill();
        if (stroke) {
          ctx.strokeStyle = stroke;
          ctx.stroke();
        }
      };
      paint(cells.idle, "#ffffff", COLOR.idleLine);
      paint(cells.working, COLOR.working, null);
      paint(cells.blocked, pattern, COLOR.blockedLine);
      paint(cells.down, COLOR.down, "#9ca3af");
      const paintBars = (list, fill) => {
        if (!list.length) return;
        ctx.beginPath();
        for (const [x, y, w, h] of list) ctx.rect(x, y, w, h);
        ctx.fillStyle = fill;
        ctx.fill();
      };
      paintBars(bars.idle, "#e5e7eb");
      paintBars(bars.working, COLOR.working);
      paintBars(bars.blocked, pattern);
      for (const [color, list] of Object.entries(groupBy(chips))) {
        ctx.fillStyle = color;
        ctx.beginPath();
        for (const [x, y, w, h] of list) ctx.rect(x, y, w, h);
        ctx.fill();
      }
      if (tethers.length) {
        ctx.save();
        if (detail) ctx.setLineDash([4 * z, 3 * z]);
        ctx.strokeStyle = "#b45309";
        ctx.lineWidth = Math.max(1, 1.5 * z);
        ctx.beginPath();
        for (const [x1, y1, x2, y2] of tethers) {
          ctx.moveTo(x1, y1);
          ctx.lineTo(x2, y2);
        }
        ctx.stroke();
        ctx.restore();
      }
      if (crosses.length) {
        ctx.strokeStyle = COLOR.cross;
        ctx.lineWidth = Math.max(1.5, 2.5 * z);
        ctx.beginPath();
        for (const r of crosses) {
          ctx.moveTo(r.x + 4, r.y + 4);
          ctx.lineTo(r.x + r.w - 4, r.y + r.h - 4);
          ctx.moveTo(r.x + r.w - 4, r.y + 4);
          ctx.lineTo(r.x + 4, r.y + r.h - 4);
        }
        ctx.stroke();
      }
      drawBreakers(ctx, state, text, detail);
      if (detail) {
        ctx.textBaseline = "middle";
        let font = null;
        let fill = null;
        let alignNow = null;
        // Setting a font is costly: only when it changes.
        for (const [x, y, str, color, size, align] of text) {
          const f = `${Math.round((size || 10) * 2) / 2}px system-ui, sans-serif`;
          if (f !== font) ctx.font = font = f;
          if ((color || COLOR.text) !== fill) ctx.fillStyle = fill = color || COLOR.text;
          if ((align || "left") !== alignNow) ctx.textAlign = alignNow = align || "left";
          ctx.fillText(str, x, y);
        }
        ctx.textAlign = "left";
      }
    },

    /** What is drawn now, as plain JSON (the `window.mscommScene()` hook without particles). */
    snapshot() {
      return {
        instances: drawnInstances.map((i) => ({ ...i, cells: [...i.cells] })),
        queues: drawnQueues.map((q) => ({ ...q })),
        breakers: drawnBreakers.map((b) => ({ ...b })),
        readers: drawnReaders.map((r) => ({ ...r })),
      };
    },

    get state() {
      return frameState;
    },
  };

  function groupBy(chips) {
    const out = {};
    for (const [color, ...rect] of chips) (out[color] ||= []).push(rect);
    return out;
  }

  function queueChips(chips, text, x, y, n, color, z, label, most = CHIPS) {
    const w = 5 * z;
    const h = 8 * z;
    const shown = Math.min(n, most);
    for (let i = 0; i < shown; i += 1) chips.push([color, x + i * (w + 1.5 * z), y - h / 2, w, h]);
    if (label !== null) text.push([x + shown * (w + 1.5 * z) + 3 * z, y, label, color === COLOR.dead ? COLOR.dead : COLOR.text, 10 * Math.min(1.2, z)]);
  }

  function drawService(ctx, id, o, state, out) {
    const svc = state.services && state.services[id];
    const list = (svc && svc.instances) || [];
    const z = o.z;
    const aggregateBox = list.length > MAX_BOXES;
    const shown = aggregateBox ? [aggregate(list)] : list;
    const sync = syncOut.get(id);
    shown.forEach((inst, k) => {
      const r = instanceRect(o, k);
      const box = r.box;
      const up = aggregateBox ? inst.upCount > 0 : inst.up;
      ctx.fillStyle = up ? COLOR.box : "#eef0f3";
      ctx.strokeStyle = up ? COLOR.boxLine : "#6b7280";
      ctx.beginPath();
      ctx.rect(r.x, r.y, r.w, r.h);
      ctx.fill();
      ctx.stroke();
      const title = aggregateBox ? `${list.length} instances · ${list.length - inst.upCount} down` : `instance ${k}${up ? "" : " · down"}`;
      out.text.push([r.x + 5 * z, r.y + 7 * z, title, up ? COLOR.muted : COLOR.cross, 9.5 * Math.min(1.2, z)]);
      const states = cellStates(inst);
      if (z < 0.3 && up) {
        // Too small for cells: one bar split blocked / working / idle, in the cells' fills.
        const total = states.length || 1;
        let x = r.x + 3;
        const w = r.w - 6;
        for (const key of ["blocked", "working", "idle"]) {
          const part = ((inst[key] || 0) / total) * w;
          if (part > 0) out.bars[key].push([x, r.y + r.h * 0.35, part, r.h * 0.4]);
          x += part;
        }
      }
      const drawn = z < 0.3 ? [] : foldCells(states, box.cells);
      for (let c = 0; c < (z < 0.3 ? 0 : box.cells); c += 1) {
        const x = r.x + (6 + (c % box.cols) * (CELL + CELL_GAP)) * z;
        const y = r.y + (13 + Math.floor(c / box.cols) * (CELL + CELL_GAP)) * z;
        out.cells[up ? drawn[c] || "idle" : "down"].push(x, y); // flat: no array per cell
      }
      const qy = r.y + r.h - 7.5 * z;
      if (inst.queue) queueChips(out.chips, out.text, r.x + 6 * z, qy, inst.queue, COLOR.waiting, z, `${inst.queue} waiting`);
      if (!up) out.crosses.push(r);
      if (up && inst.blocked > 0) {
        // The blocked cells wait on a sync call: a dashed tie from them to the link it went on.
        const from = { x: r.x + (6 + CELL / 2) * z, y: r.y + (13 + CELL / 2) * z };
        sync.forEach((edge) => {
          const l = state.links && state.links[edge.data("link")];
          if (l && !l.in_flight) return;
          let end = sourceEnd.get(edge.id());
          if (!end) {
            end = edge.renderedSourceEndpoint();
            sourceEnd.set(edge.id(), end);
          }
          out.tethers.push([from.x, from.y, end.x, end.y]);
        });
      }
      const indices = aggregateBox ? list.map((_, i) => i) : [k];
      for (const i of indices) {
        const one = list[i];
        const rect = { x: r.x, y: r.y, w: r.w, h: r.h, cell: CELL * z, first: { x: r.x + 6 * z, y: r.y + 13 * z } };
        drawnInstances.push({ node: id, index: i, up: Boolean(one.up), cells: cellStates(one), queue: one.queue || 0, rect, ...(aggregateBox ? { aggregated: list.length } : {}) });
      }
    });
  }

  function drawTopic(ctx, id, o, state, out) {
    const t = state.topics && state.topics[id];
    const z = o.z;
    const dead = (t && t.dead_letters) || null;
    for (const row of o.b.rows) {
      const r = rowRect(o, row.id);
      ctx.fillStyle = row.id === null ? "#fef2f2" : "#ffffff";
      ctx.strokeStyle = row.id === null ? "#fca5a5" : "#fdba74";
      ctx.beginPath();
      ctx.rect(r.x, r.y, r.w, r.h);
      ctx.fill();
      ctx.stroke();
      const cy0 = r.y + r.h / 2;
      if (row.id === null) {
        const n = dead ? Object.values(dead).reduce((a, b) => a + b, 0) : (t && t.dead_lettered) || 0;
        out.text.push([r.x + 4 * z, cy0, "dead letters", COLOR.dead, 9.5 * Math.min(1.2, z)]);
        queueChips(out.chips, out.text, r.x + 70 * z, cy0, n, COLOR.dead, z, String(n));
        drawnQueues.push({ id: `${id}:dead_letter`, node: id, kind: "dead_letter", depth: n });
        continue;
      }
      const depth = (t && t.backlog && t.backlog[row.id]) || 0;
      const name = labelOf.get(row.id) || row.id;
      out.text.push([r.x + 4 * z, cy0, `→ ${name.length > 12 ? `${name.slice(0, 11)}…` : name}`, COLOR.text, 9.5 * Math.min(1.2, z)]);
      queueChips(out.chips, out.text, r.x + 82 * z, cy0, depth, "#ea580c", z, String(depth), 8);
      const since = redeliveredAt.get(`${id}>${row.id}`);
      if (since !== undefined && performance.now() - since < 1500) {
        // A redelivery loops back onto this subscriber's queue.
        ctx.strokeStyle = "#db2777";
        ctx.lineWidth = Math.max(1.5, 2 * z);
        ctx.beginPath();
        ctx.arc(r.x + r.w - 9 * z, cy0, 5 * z, -0.3, Math.PI * 1.6);
        ctx.stroke();
        out.text.push([r.x + r.w - 22 * z, cy0, "↻", "#db2777", 11 * Math.min(1.2, z), "right"]);
        ctx.lineWidth = 1;
      }
      drawnQueues.push({ id: `${id}:${row.id}`, node: row.id, kind: "subscriber", depth });
    }
  }

  function drawStore(ctx, id, o, state, out) {
    const d = state.datastores && state.datastores[id];
    const z = o.z;
    out.text.push([o.x + 8 * z, o.y + 10 * z, `${d ? d.records ?? 0 : 0} records`, COLOR.text, 10 * Math.min(1.2, z)]);
    const lags = (d && d.behind) || {};
    const most = Math.max(10, ...Object.values(lags));
    for (const row of o.b.rows) {
      const r = rowRect(o, row.id);
      const lag = lags[row.id] || 0;
      drawnReaders.push({ node: row.id, store: id, behind: lag });
      ctx.fillStyle = "#ffffff";
      ctx.strokeStyle = "#c4b5fd";
      ctx.beginPath();
      ctx.rect(r.x, r.y, r.w, r.h);
      ctx.fill();
      ctx.stroke();
      // How far behind the reader is: the bar's length, and the seconds on it.
      ctx.fillStyle = "#ddd6fe";
      ctx.fillRect(r.x + 1, r.y + 1, Math.max(0, ((r.w - 2) * lag) / most), r.h - 2);
      const name = labelOf.get(row.id) || row.id;
      out.text.push([r.x + 4 * z, r.y + r.h / 2, `${name.length > 12 ? `${name.slice(0, 11)}…` : name}: ${lag.toFixed(1)} s behind`, COLOR.text, 9.5 * Math.min(1.2, z)]);
    }
  }

  function drawBroker(ctx, edge, state, out) {
    const r = scene.brokerRect(edge);
    const z = cy.zoom();
    const link = edge.data("link");
    const l = state.links && state.links[link];
    const callee = edge.target().id();
    const caller = edge.source().id();
    let queued = l && l.queued;
    let estimated = false;
    if (!queued) {
      // Until the core reports the link's queues: what waits at either end's instances.
      const sum = (svc) => ((state.services[svc] && state.services[svc].instances) || []).reduce((a, i) => a + (i.queue || 0), 0);
      queued = { request: sum(callee), reply: sum(caller) };
      estimated = true;
    }
    out.brokers.push(r);
    const size = 9.5 * Math.min(1.2, z);
    out.text.push([r.x + 4 * z, r.y + 8 * z, "broker", COLOR.broker, size]);
    const calleeName = labelOf.get(callee) || callee;
    const callerName = labelOf.get(caller) || caller;
    const row1 = r.y + 22 * z;
    const row2 = r.y + 38 * z;
    out.text.push([r.x + 4 * z, row1, "requests", COLOR.request, size]);
    queueChips(out.chips, out.text, r.x + 52 * z, row1, queued.request, COLOR.request, z, `${queued.request}`);
    out.text.push([r.x + 4 * z, row2, "replies", COLOR.reply, size]);
    queueChips(out.chips, out.text, r.x + 52 * z, row2, queued.reply, COLOR.reply, z, `${queued.reply}`);
    void calleeName;
    void callerName;
    const est = estimated ? { estimated: true } : {};
    drawnQueues.push({ id: `${link}:request`, node: callee, kind: "request", depth: queued.request, link, ...est });
    drawnQueues.push({ id: `${link}:reply`, node: caller, kind: "reply", depth: queued.reply, link, ...est });
  }

  function drawBreakers(ctx, state, text, detail) {
    const z = cy.zoom();
    if (!state.links) return;
    allEdges.forEach((edge) => {
      const l = state.links[edge.data("link")];
      if (!l || !l.breaker) return;
      const at = scene.breakerAt(edge);
      const open = l.breaker === "open";
      const half = l.breaker === "half_open";
      const color = open ? "#dc2626" : half ? "#d97706" : "#15803d";
      drawnBreakers.push({ link: edge.data("link"), state: l.breaker, at: { x: at.x, y: at.y } });
      const w = 20 * z;
      const h = 12 * z;
      ctx.fillStyle = "#ffffff";
      ctx.strokeStyle = color;
      ctx.lineWidth = Math.max(1.5, 2 * z);
      ctx.beginPath();
      ctx.rect(at.x - w / 2, at.y - h / 2, w, h);
      ctx.fill();
      ctx.stroke();
      // A switch: closed is a straight bar, open a lifted one, half-open half lifted.
      ctx.beginPath();
      ctx.moveTo(at.x - 7 * z, at.y + 2 * z);
      const lift = open ? 7 : half ? 3.5 : 0;
      ctx.lineTo(at.x + 6 * z, at.y + (2 - lift) * z);
      ctx.stroke();
      ctx.lineWidth = 1;
      void text; // the link's own label says "breaker open" (player/labels.js)
      void detail;
    });
  }

  return scene;
}
