/**
 * The particle layer: every message in flight is a dot on one canvas over the graph, moving
 * along its edge between its send time `t0` and arrival time `t1` (simulated seconds).
 * Storage is a structure of typed arrays (no object per particle) so that thousands of
 * particles cost one pass per frame and one canvas path per message type.
 */
import { MESSAGE_TYPES } from "../graph/palette.js";

const DENSE = 3000;
const FIELDS = { edge: Int32Array, dir: Int8Array, type: Uint8Array, t0: Float64Array, t1: Float64Array };

export function createParticles({ capacity = 4096, maxParticles = 20000 } = {}) {
  let size = 0;
  let cap = capacity;
  const a = {};
  for (const [name, Type] of Object.entries(FIELDS)) a[name] = new Type(cap);

  function grow() {
    cap *= 2;
    for (const [name, Type] of Object.entries(FIELDS)) {
      const next = new Type(cap);
      next.set(a[name]);
      a[name] = next;
    }
  }

  // Scratch buffers for the batched draw: positions grouped by type.
  let xs = new Float32Array(cap);
  let ys = new Float32Array(cap);

  return {
    get size() {
      return size;
    },

    /** Add a particle on geometry slot `edge`, forward (dir 1) or backward (-1); false when full. */
    add(edge, dir, type, t0, t1) {
      if (size >= maxParticles) return false;
      if (size === cap) grow();
      a.edge[size] = edge;
      a.dir[size] = dir;
      a.type[size] = type;
      a.t0[size] = t0;
      a.t1[size] = t1;
      size += 1;
      return true;
    },

    /** Remove every particle that has arrived by simulated time `now`. */
    expire(now) {
      let i = 0;
      while (i < size) {
        if (a.t1[i] <= now) {
          size -= 1;
          for (const name of Object.keys(FIELDS)) a[name][i] = a[name][size];
        } else i += 1;
      }
    },

    clear() {
      size = 0;
    },

    /**
     * Draw at simulated time `now` on `ctx`. `geom` is a Float32Array with 8 numbers per
     * edge slot (source x,y, control x,y, target x,y, unit normal in canvas pixels):
     * particles follow the quadratic curve, so they stay on cytoscape's bezier edges, in a
     * lane beside it by direction. Returns the particles drawn.
     */
    draw(ctx, geom, now, radius = 3) {
      if (xs.length < size) {
        xs = new Float32Array(cap);
        ys = new Float32Array(cap);
      }
      const order = new Uint32Array(MESSAGE_TYPES.length + 1);
      for (let i = 0; i < size; i += 1) order[a.type[i] + 1] += 1;
      for (let k = 1; k < order.length; k += 1) order[k] += order[k - 1];
      const fill = order.slice(0, MESSAGE_TYPES.length);
      let drawn = 0;
      const dense = size > DENSE;
      for (let i = 0; i < size; i += 1) {
        const span = a.t1[i] - a.t0[i];
        let u = span > 0 ? (now - a.t0[i]) / span : 1;
        if (u < 0) continue;
        if (u > 1) u = 1;
        const dir = a.dir[i];
        if (dir < 0) u = 1 - u;
        const g = a.edge[i] * 8;
        const lane = dir * radius;
        const v = 1 - u;
        const slot = fill[a.type[i]]++;
        xs[slot] = v * v * geom[g] + 2 * v * u * geom[g + 2] + u * u * geom[g + 4] + lane * geom[g + 6];
        ys[slot] = v * v * geom[g + 1] + 2 * v * u * geom[g + 3] + u * u * geom[g + 5] + lane * geom[g + 7];
        drawn += 1;
      }
      for (let type = 0; type < MESSAGE_TYPES.length; type += 1) {
        const from = order[type];
        const to = fill[type];
        if (to === from) continue;
        const spec = MESSAGE_TYPES[type];
        ctx.fillStyle = spec.color;
        ctx.strokeStyle = spec.color;
        ctx.beginPath();
        // Past a few thousand, squares: they rasterize several times faster than arcs.
        const shape = dense && spec.shape === "circle" ? "square" : spec.shape;
        for (let s = from; s < to; s += 1) shapePath(ctx, shape, xs[s], ys[s], radius);
        if (spec.shape === "cross") {
          ctx.lineWidth = 2;
          ctx.stroke();
        } else ctx.fill();
      }
      return drawn;
    },
  };
}

/** Add the outline of one particle to the current path. */
export function shapePath(ctx, shape, x, y, r) {
  if (shape === "circle") {
    ctx.moveTo(x + r, y);
    ctx.arc(x, y, r, 0, 2 * Math.PI);
  } else if (shape === "square") {
    ctx.rect(x - r, y - r, 2 * r, 2 * r);
  } else if (shape === "diamond") {
    const d = r * 1.35;
    ctx.moveTo(x, y - d);
    ctx.lineTo(x + d, y);
    ctx.lineTo(x, y + d);
    ctx.lineTo(x - d, y);
    ctx.closePath();
  } else {
    ctx.moveTo(x - r, y - r);
    ctx.lineTo(x + r, y + r);
    ctx.moveTo(x + r, y - r);
    ctx.lineTo(x - r, y + r);
  }
}
