/**
 * Maps trace-event endpoints to drawable paths: each cytoscape edge (and, on demand, any
 * node pair without an edge) gets a slot whose source/control/target points in canvas
 * pixels are refreshed every frame from cytoscape's rendered positions.
 */

/** The node id of an event endpoint: `"order/2"` (an instance) is node `order`. */
export function nodeOf(endpoint) {
  if (typeof endpoint !== "string") return null;
  const slash = endpoint.indexOf("/");
  return slash < 0 ? endpoint : endpoint.slice(0, slash);
}

/** The instance number of `"order/2"`, or null. */
export function instanceOf(endpoint) {
  if (typeof endpoint !== "string") return null;
  const slash = endpoint.indexOf("/");
  return slash < 0 ? null : Number(endpoint.slice(slash + 1));
}

export function createGeometry(cy) {
  const slots = []; // {edge} or {source, target} (node ids)
  const byLink = new Map();
  const byPair = new Map();
  let geom = new Float32Array(0);
  // Endpoints are costly to ask cytoscape for (a style pass per edge): only again once
  // something moved, panned, zoomed or changed.
  let dirty = true;
  const touch = () => {
    dirty = true;
  };
  cy.on("position pan zoom resize add remove style", touch);

  function rebuild() {
    dirty = true;
    slots.length = 0;
    byLink.clear();
    byPair.clear();
    cy.edges().forEach((edge) => {
      byLink.set(edge.data("link"), slots.length);
      const pair = `${edge.source().id()}>${edge.target().id()}`;
      if (!byPair.has(pair)) byPair.set(pair, slots.length);
      slots.push({ edge });
    });
  }
  rebuild();

  return {
    rebuild,

    /** `[slot, dir]` for a message from node `src` to node `dst` on `link` (or null). */
    slotFor(link, src, dst) {
      const known = link !== undefined ? byLink.get(link) : undefined;
      if (known !== undefined) {
        const edge = slots[known].edge;
        return [known, edge.source().id() === src ? 1 : -1];
      }
      if (!src || !dst || src === dst) return null;
      const forward = byPair.get(`${src}>${dst}`);
      if (forward !== undefined) return [forward, 1];
      const backward = byPair.get(`${dst}>${src}`);
      if (backward !== undefined) return [backward, -1];
      if (cy.getElementById(src).empty() || cy.getElementById(dst).empty()) return null;
      byPair.set(`${src}>${dst}`, slots.length);
      slots.push({ source: src, target: dst });
      dirty = true;
      return [slots.length - 1, 1];
    },

    /** Refresh every slot's points and normal (canvas pixels); returns 8 floats per slot. */
    update() {
      if (!dirty && geom.length >= slots.length * 8) return geom;
      dirty = false;
      if (geom.length < slots.length * 8) geom = new Float32Array(slots.length * 8 + 80);
      for (let i = 0; i < slots.length; i += 1) {
        const s = slots[i];
        let p0;
        let p2;
        let mid;
        if (s.edge) {
          if (s.edge.removed()) continue;
          p0 = s.edge.renderedSourceEndpoint();
          p2 = s.edge.renderedTargetEndpoint();
          mid = s.edge.renderedMidpoint();
        } else {
          p0 = cy.getElementById(s.source).renderedPosition();
          p2 = cy.getElementById(s.target).renderedPosition();
          mid = { x: (p0.x + p2.x) / 2, y: (p0.y + p2.y) / 2 };
        }
        const g = i * 8;
        geom[g] = p0.x;
        geom[g + 1] = p0.y;
        // The control point that puts the quadratic curve through the edge's midpoint.
        geom[g + 2] = 2 * mid.x - (p0.x + p2.x) / 2;
        geom[g + 3] = 2 * mid.y - (p0.y + p2.y) / 2;
        geom[g + 4] = p2.x;
        geom[g + 5] = p2.y;
        // Unit normal: requests and replies on one edge travel in lanes either side of it.
        const len = Math.hypot(p2.x - p0.x, p2.y - p0.y) || 1;
        geom[g + 6] = -(p2.y - p0.y) / len;
        geom[g + 7] = (p2.x - p0.x) / len;
      }
      return geom;
    },

    /** The midpoint of slot `i` in canvas pixels (for marks on a link). */
    midpoint(i) {
      const g = i * 8;
      return { x: 0.25 * geom[g] + 0.5 * geom[g + 2] + 0.25 * geom[g + 4], y: 0.25 * geom[g + 1] + 0.5 * geom[g + 3] + 0.25 * geom[g + 5] };
    },
  };
}
