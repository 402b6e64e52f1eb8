/**
 * The scenario being edited and every change to it. Each change makes a new snapshot for
 * undo, then emits `change`; the graph, the side panel and autosave follow from there.
 */
import { createHub } from "../hub.js";
import { styleFor } from "../graph/palette.js";
import { createHistory } from "./history.js";

const ID = /^[a-z0-9][a-z0-9_-]{0,39}$/;

export function emptyScenario() {
  return { format: "mscomm.scenario/1", name: "Untitled scenario", description: "", nodes: [], links: [], workload: [], faults: [], layout: {} };
}

function freshId(taken, prefix) {
  for (let n = 1; ; n += 1) if (!taken.has(`${prefix}-${n}`)) return `${prefix}-${n}`;
}

/** Read `obj` at a path like `nodes[2].arrival.rate_per_s` (array of keys/indices). */
export function parsePath(path) {
  return path.split(/\.|\[|\]/).filter(Boolean).map((k) => (/^\d+$/.test(k) ? Number(k) : k));
}

export function createDocument(initial) {
  const hub = createHub();
  let doc = structuredClone(initial);
  for (const key of ["nodes", "links", "workload", "faults"]) doc[key] = doc[key] || [];
  doc.layout = doc.layout || {};
  const history = createHistory(doc);

  function commit(reason) {
    if (history.record(doc)) hub.emit("change", doc, reason);
  }

  const api = {
    on(name, fn) {
      hub.on(name, fn);
      return api;
    },
    get doc() {
      return doc;
    },
    get history() {
      return history;
    },

    node(id) {
      return doc.nodes.find((n) => n.id === id);
    },
    link(id) {
      return doc.links.find((l) => l.id === id);
    },

    /** Add a node of `kind` at model position `pos`; returns its id. */
    addNode(kind, pos) {
      const id = freshId(new Set(doc.nodes.map((n) => n.id)), kind);
      const number = id.slice(kind.length + 1);
      doc.nodes.push({ id, kind, label: `${kind[0].toUpperCase()}${kind.slice(1)} ${number}` });
      doc.layout[id] = { x: Math.round(pos.x), y: Math.round(pos.y) };
      commit("add");
      return id;
    },

    /** Link `from` to `to` in the wanted style (corrected for the node kinds); id or an error. */
    addLink(from, to, wanted) {
      const a = api.node(from);
      const b = api.node(to);
      if (!a || !b || from === to) return { error: "pick two different elements" };
      const style = styleFor(a.kind, b.kind, wanted);
      if (!style) return { error: `a ${a.kind} cannot link to a ${b.kind}` };
      const id = freshId(new Set(doc.links.map((l) => l.id)), `${from}-${to}`.slice(0, 34));
      const link = { id, from, to, style };
      if (style === "poll") link.interval_ms = 1000;
      doc.links.push(link);
      commit("add");
      return { id, style };
    },

    /** Remove nodes and links by id (a node takes its links and layout with it). */
    remove({ nodes = [], links = [] }) {
      const goneNodes = new Set(nodes);
      const goneLinks = new Set(links);
      doc.nodes = doc.nodes.filter((n) => !goneNodes.has(n.id));
      doc.links = doc.links.filter((l) => !goneLinks.has(l.id) && !goneNodes.has(l.from) && !goneNodes.has(l.to));
      for (const id of goneNodes) delete doc.layout[id];
      commit("remove");
    },

    /** Set the value at `path` (undefined deletes the key, so the default applies). */
    set(path, value) {
      const keys = parsePath(path);
      let target = doc;
      keys.slice(0, -1).forEach((key, n) => {
        // Make what is missing on the way: a list when the next key is an index.
        if (target[key] === undefined || target[key] === null) target[key] = typeof keys[n + 1] === "number" ? [] : {};
        target = target[key];
      });
      const last = keys[keys.length - 1];
      if (value === undefined) {
        if (Array.isArray(target)) target.splice(last, 1);
        else delete target[last];
      } else target[last] = value;
      commit("edit");
    },

    /** Rename a node and every reference to it (links, layout, workload, faults). */
    renameNode(oldId, newId) {
      if (!ID.test(newId)) return "ids are lowercase letters, digits, - and _ (up to 40)";
      if (oldId === newId) return null;
      if (api.node(newId) || api.link(newId)) return `${newId} is already taken`;
      const node = api.node(oldId);
      node.id = newId;
      for (const l of doc.links) {
        if (l.from === oldId) l.from = newId;
        if (l.to === oldId) l.to = newId;
      }
      if (doc.layout[oldId]) {
        doc.layout[newId] = doc.layout[oldId];
        delete doc.layout[oldId];
      }
      for (const w of doc.workload) if (w.entry === oldId) w.entry = newId;
      for (const f of doc.faults) if (f.target === oldId) f.target = newId;
      commit("rename");
      return null;
    },

    renameLink(oldId, newId) {
      if (!ID.test(newId)) return "ids are lowercase letters, digits, - and _ (up to 40)";
      if (oldId === newId) return null;
      if (api.link(newId)) return `${newId} is already taken`;
      api.link(oldId).id = newId;
      for (const f of doc.faults) if (f.target === oldId) f.target = newId;
      commit("rename");
      return null;
    },

    /** Store node positions (after a drag or an auto-layout) as one undoable change. */
    positions(layout) {
      doc.layout = { ...doc.layout, ...layout };
      commit("move");
    },

    /** Replace the whole document (import, reload after a conflict). */
    replace(next, reason = "replace") {
      doc = structuredClone(next);
      for (const key of ["nodes", "links", "workload", "faults"]) doc[key] = doc[key] || [];
      doc.layout = doc.layout || {};
      commit(reason);
    },

    undo() {
      const prev = history.undo();
      if (prev) {
        doc = prev;
        hub.emit("change", doc, "undo");
      }
    },
    redo() {
      const next = history.redo();
      if (next) {
        doc = next;
        hub.emit("change", doc, "redo");
      }
    },
  };
  return api;
}
