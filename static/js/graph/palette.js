/**
 * The visual language in one table: how each node kind, link style and message type looks.
 * The cytoscape stylesheet, the particle layer and the on-page legends all read it.
 */

export const NODE_KINDS = {
  service: { label: "Service", shape: "round-rectangle", color: "#e0ecff", border: "#2563eb" },
  topic: { label: "Topic", shape: "barrel", color: "#fff1e6", border: "#ea580c" },
  datastore: { label: "Datastore", shape: "round-tag", color: "#f3e8ff", border: "#7c3aed" },
};

/** Link styles: line pattern, colour, arrow head, and which node kinds they join. */
export const LINK_STYLES = {
  sync: {
    label: "sync request-response (caller blocks)",
    line: "solid", color: "#1e40af", arrow: "triangle", width: 3, from: "service", to: "service",
  },
  async: {
    label: "async request-response (caller freed)",
    line: "dashed", color: "#0f766e", arrow: "triangle-backcurve", width: 3, from: "service", to: "service",
  },
  publish: {
    label: "publish an event to a topic",
    line: "dotted", color: "#c2410c", arrow: "diamond", width: 3, from: "service", to: "topic",
  },
  subscribe: {
    label: "subscribe: the topic delivers events",
    line: "dotted", color: "#ea580c", arrow: "chevron", width: 3, from: "topic", to: "service",
  },
  write: {
    label: "write to common data",
    line: "solid", color: "#6d28d9", arrow: "square", width: 2, from: "service", to: "datastore",
  },
  poll: {
    label: "poll common data",
    line: "dashed", color: "#7c3aed", arrow: "circle", width: 2, from: "datastore", to: "service",
  },
};

/** Message types drawn as particles (index = type code used by the particle layer). */
export const MESSAGE_TYPES = [
  { key: "request", label: "request", color: "#2563eb", shape: "circle" },
  { key: "reply", label: "reply", color: "#16a34a", shape: "triangle" },
  { key: "event", label: "event (publish / deliver)", color: "#ea580c", shape: "diamond" },
  { key: "write", label: "write", color: "#7c3aed", shape: "square" },
  { key: "poll", label: "poll", color: "#0891b2", shape: "bar" },
  { key: "retry", label: "retry or redelivery", color: "#db2777", shape: "triangle-down" },
  { key: "failed", label: "failed, dropped or timed out", color: "#dc2626", shape: "cross" },
  { key: "wrong", label: "reply that arrives wrong (a response failure)", color: "#b91c1c", shape: "triangle" },
];

/** The scene hook's name for each message type (docs/front-end.md). */
export const HOOK_KIND = { request: "request", reply: "reply", event: "event", write: "write", poll: "poll", retry: "retry", failed: "failure", wrong: "reply" };

export const TYPE = Object.fromEntries(MESSAGE_TYPES.map((t, i) => [t.key, i]));

/** Worker states drawn as bars under every service instance. */
export const WORKER_STATES = [
  { key: "working", label: "worker busy (solid)", color: "#1d4ed8" },
  { key: "blocked", label: "worker blocked waiting on a sync call (hatched)", color: "#f59e0b" },
  { key: "idle", label: "worker idle (white)", color: "#ffffff" },
];

/** A crashed instance's bar (crossed out in red). */
export const CRASHED_COLOR = "#4b5563";

/** The style a link between two node kinds must have, given the style the user picked. */
export function styleFor(fromKind, toKind, wanted) {
  if (fromKind === "service" && toKind === "service") return wanted === "async" ? "async" : "sync";
  for (const [name, s] of Object.entries(LINK_STYLES)) {
    if (s.from === fromKind && s.to === toKind) return name;
  }
  return null;
}
