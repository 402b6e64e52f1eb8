/**
 * A small SVG picture of a scenario's topology for gallery cards: nodes at their saved
 * layout (or in layers along the links when there is none), links in their style colours.
 */
import { LINK_STYLES, NODE_KINDS } from "./palette.js";

const SVG = "http://www.w3.org/2000/svg";

function make(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** Positions by layers: a node's layer is one more than the deepest node linking to it. */
export function layered(doc) {
  const nodes = doc.nodes || [];
  const layer = Object.fromEntries(nodes.map((n) => [n.id, 0]));
  for (let pass = 0; pass < nodes.length; pass += 1) {
    let changed = false;
    for (const l of doc.links || []) {
      if (l.from in layer && l.to in layer && layer[l.to] < layer[l.from] + 1 && layer[l.from] < nodes.length) {
        layer[l.to] = layer[l.from] + 1;
        changed = true;
      }
    }
    if (!changed) break;
  }
  const rows = {};
  const pos = {};
  for (const n of nodes) {
    const k = layer[n.id];
    rows[k] = (rows[k] || 0) + 1;
    pos[n.id] = { x: k * 200, y: rows[k] * 90 };
  }
  return pos;
}

/** An `<svg>` element of `width` x `height` showing `doc`'s nodes and links. */
export function thumbnail(doc, { width = 280, height = 140 } = {}) {
  const saved = doc.layout || {};
  const pos = (doc.nodes || []).every((n) => saved[n.id]) ? saved : layered(doc);
  const points = Object.values(pos);
  const root = make("svg", { class: "thumb", viewBox: `0 0 ${width} ${height}`, role: "img" });
  if (!points.length) return root;
  const minX = Math.min(...points.map((p) => p.x));
  const maxX = Math.max(...points.map((p) => p.x));
  const minY = Math.min(...points.map((p) => p.y));
  const maxY = Math.max(...points.map((p) => p.y));
  const pad = 24;
  const scale = Math.min((width - 2 * pad) / Math.max(1, maxX - minX), (height - 2 * pad) / Math.max(1, maxY - minY), 1);
  const offX = (width - (maxX - minX) * scale) / 2;
  const offY = (height - (maxY - minY) * scale) / 2;
  const at = (id) => ({ x: offX + (pos[id].x - minX) * scale, y: offY + (pos[id].y - minY) * scale });
  for (const l of doc.links || []) {
    if (!pos[l.from] || !pos[l.to]) continue;
    const a = at(l.from);
    const b = at(l.to);
    const s = LINK_STYLES[l.style] || LINK_STYLES.sync;
    root.append(make("line", {
      x1: a.x, y1: a.y, x2: b.x, y2: b.y, stroke: s.color, "stroke-width": 2,
      "stroke-dasharray": s.line === "dashed" ? "6 3" : s.line === "dotted" ? "2 3" : "none",
    }));
  }
  for (const n of doc.nodes || []) {
    const p = at(n.id);
    const k = NODE_KINDS[n.kind] || NODE_KINDS.service;
    root.append(make("rect", { x: p.x - 14, y: p.y - 8, width: 28, height: 16, rx: n.kind === "topic" ? 8 : 3, fill: k.color, stroke: k.border, "stroke-width": 1.5 }));
    if ((doc.nodes || []).length <= 8) {
      const name = n.label || n.id;
      const text = make("text", { x: p.x, y: p.y + 19, "text-anchor": "middle", "font-size": 8, fill: "#374151" });
      text.textContent = name.length > 16 ? `${name.slice(0, 15)}…` : name; // text, never markup
      root.append(text);
    }
  }
  return root;
}
