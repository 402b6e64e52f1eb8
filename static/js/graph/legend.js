/** The on-page legend of the visual language, drawn from graph/palette.js as small SVGs. */
import { el } from "../dom.js";
import { CRASHED_COLOR, LINK_STYLES, MESSAGE_TYPES, NODE_KINDS, WORKER_STATES } from "./palette.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(width, height, ...children) {
  const root = document.createElementNS(SVG, "svg");
  root.setAttribute("width", width);
  root.setAttribute("height", height);
  root.setAttribute("aria-hidden", "true");
  for (const c of children) root.append(c);
  return root;
}

function shape(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

const DASH = { solid: "", dashed: "7 4", dotted: "2 4" };

function linkSample(s) {
  return svg(
    46,
    14,
    shape("line", { x1: 2, y1: 7, x2: 36, y2: 7, stroke: s.color, "stroke-width": s.width, "stroke-dasharray": DASH[s.line] }),
    shape("polygon", { points: "36,2 45,7 36,12", fill: s.color }),
  );
}

function messageSample(m) {
  if (m.shape === "circle") return svg(14, 14, shape("circle", { cx: 7, cy: 7, r: 4, fill: m.color }));
  if (m.shape === "square") return svg(14, 14, shape("rect", { x: 3, y: 3, width: 8, height: 8, fill: m.color }));
  if (m.shape === "diamond") return svg(14, 14, shape("polygon", { points: "7,1 13,7 7,13 1,7", fill: m.color }));
  if (m.shape === "triangle") return svg(14, 14, shape("polygon", { points: "7,1 13,12 1,12", fill: m.color }));
  if (m.shape === "triangle-down") return svg(14, 14, shape("polygon", { points: "1,2 13,2 7,13", fill: m.color }));
  if (m.shape === "bar") return svg(14, 14, shape("rect", { x: 1, y: 4, width: 12, height: 6, fill: m.color }));
  return svg(14, 14, shape("path", { d: "M3 3 L11 11 M11 3 L3 11", stroke: m.color, "stroke-width": 2 }));
}

function swatch(color) {
  return svg(22, 10, shape("rect", { x: 0, y: 1, width: 22, height: 8, fill: color }));
}

/** A worker cell as the scene draws it: idle outlined, working solid, blocked hatched. */
function cell(key, color) {
  const box = { x: 1, y: 1, width: 10, height: 10 };
  if (key === "idle") return svg(12, 12, shape("rect", { ...box, fill: "#ffffff", stroke: "#9ca3af" }));
  if (key === "working") return svg(12, 12, shape("rect", { ...box, fill: color }));
  return svg(
    12,
    12,
    shape("rect", { ...box, fill: color, stroke: "#78350f" }),
    shape("path", { d: "M1 7 L7 1 M1 11 L11 1 M5 11 L11 5", stroke: "#78350f", "stroke-width": 1.4 }),
  );
}

/** A legend element; `{messages: true}` adds particles and worker states (the run view). */
export function legend({ messages = false } = {}) {
  const box = el("section", { class: "legend", "aria-label": "Legend" }, el("h3", { text: "Legend" }));
  box.append(
    el("ul", {}, Object.values(NODE_KINDS).map((k) =>
      el("li", {}, svg(22, 14, shape("rect", { x: 1, y: 1, width: 20, height: 12, rx: 3, fill: k.color, stroke: k.border, "stroke-width": 2 })), k.label),
    )),
    el("ul", {}, Object.entries(LINK_STYLES).map(([name, s]) => el("li", { dataset: { style: name } }, linkSample(s), `${name}: ${s.label}`))),
  );
  if (messages) {
    box.append(
      el("h3", { text: "Messages in flight" }),
      el("ul", {}, MESSAGE_TYPES.map((m) => el("li", {}, messageSample(m), m.label))),
      el("p", { text: "Each message goes from the instance that sent it to the one that handles it, from send to arrival at the chosen speed; hops too short to see are stretched to 0.3 s. Requests and replies keep to their own side of a link. At high rates only a sample is drawn (past 3,000 at once, as squares and bars), but the numbers on the links are exact: messages per simulated second and messages in flight." }),
      el("h3", { text: "Service instances" }),
      el("ul", {}, [
        ...WORKER_STATES.map((w) => el("li", {}, cell(w.key, w.color), w.label)),
        el("li", {}, swatch(CRASHED_COLOR), "crashed instance (grey, crossed out in red)"),
        el("li", {}, swatch("#dc2626"), "requests waiting for a worker (chips, with the count)"),
      ]),
      el("p", { text: "Each service is a box holding one box per instance, each with one cell per worker; a dashed line ties blocked cells to the sync link they wait on. An async link runs through a broker showing the request and reply queues; a topic shows one queue per subscriber and its dead letters; a datastore how far behind each reader is. A ringed reply was sent to another instance than the one that asked. Marks say what just happened where it happened: timeout, lost, slow, wrong reply, crashed, dead letter; a switch on a link is its circuit breaker (red: open, calls fail at once)." }),
    );
  }
  return box;
}
