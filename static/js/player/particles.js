/**
 * The particle layer: every message in flight is a dot on one canvas over the graph, moving
 * along its edge between its send time `t0` and arrival time `t1` (simulated seconds).
 * Storage is a structure of typed arrays (no object per particle) so that thousands of
 * particles cost one pass per frame and one canvas path per message type.
 */
import { MESSAGE_TYPES } from "../graph/palette.js";

const DENSE = 3000;
const FIELDS = {
  edge: Int32Array,
  dir: Int8Array,
  type: Uint8Array,
  t0: Float64Array,
  t1: Float64Array,
  src: Int32Array, // anchor the message leaves (player/scene.js), -1: the edge's source end
  dst: Int32Array, // anchor it lands on, -1: the edge's target end
  flags: Uint8Array,
  stop: Float32Array, // the fraction of the way it gets (an omission stops half-way)
};

/** Particle flags: drawn slow (a trail), landing on another instance than the one that asked, lost. */
export const SLOW = 1;
export const ELSEWHERE = 2;
export const LOST = 4;

export function createParticles({ capacity = 4096, maxParticles = 20000 } = {}) {
  let size = 0;
  let cap = capacity;
  const a = {};
  for (const [name, Type] of Object.entries(FIELDS)) a[name] = new Type(cap);
  let corr = new Array(cap); // correlation ids (follow one request builds on them)

  function grow() {
    cap *= 2;
    for (const [name, Type] of Object.entries(FIELDS)) {
      const next = new Type(cap);
      next.set(a[name]);
      a[name] = next;
    }
    corr.length = cap;
  }

  // Scratch buffers for the batched draw: positions grouped by type.
  let xs = new Float32Array(cap);
  let ys = new Float32Array(cap);
  let marked = []; // indices of flagged particles drawn this frame, with their positions

  /** Position of particle `i` at fraction `u` of its way (canvas px) into out[0], out[1]. */
  function position(i, u, geom, xy, radius, out) {
    const g = a.edge[i] * 8;
    const dir = a.dir[i];
    const s = a.src[i];
    const d = a.dst[i];
    let x0;
    let y0;
    let x2;
    let y2;
    let cx;
    let cy;
    if (xy && s >= 0 && d >= 0) {
      x0 = xy[2 * s];
      y0 = xy[2 * s + 1];
      x2 = xy[2 * d];
      y2 = xy[2 * d + 1];
      if (g >= 0) {
        // Through the link's midpoint (an async link's broker): the control point that puts
        // the curve through it.
        const mx = 0.25 * geom[g] + 0.5 * geom[g + 2] + 0.25 * geom[g + 4];
        const my = 0.25 * geom[g + 1] + 0.5 * geom[g + 3] + 0.25 * geom[g + 5];
        cx = 2 * mx - (x0 + x2) / 2;
        cy = 2 * my - (y0 + y2) / 2;
      } else {
        cx = (x0 + x2) / 2;
        cy = (y0 + y2) / 2;
      }
    } else {
      const forward = dir >= 0;
      x0 = forward ? geom[g] : geom[g + 4];
      y0 = forward ? geom[g + 1] : geom[g + 5];
      x2 = forward ? geom[g + 4] : geom[g];
      y2 = forward ? geom[g + 5] : geom[g + 1];
      cx = geom[g + 2];
      cy = geom[g + 3];
    }
    const v = 1 - u;
    const lane = g >= 0 ? dir * radius : 0;
    out[0] = v * v * x0 + 2 * v * u * cx + u * u * x2 + (g >= 0 ? lane * geom[g + 6] : 0);
    out[1] = v * v * y0 + 2 * v * u * cy + u * u * y2 + (g >= 0 ? lane * geom[g + 7] : 0);
  }
  const at = [0, 0];

  const layer = {
    get size() {
      return size;
    },

    /**
     * Add a particle on geometry slot `edge` (-1: none, straight between its anchors),
     * forward (dir 1) or backward (-1); `extra` may give `src`/`dst` anchors, `corr`,
     * `flags` and `stop`. False when full (the message is then not drawn: sampling).
     */
    add(edge, dir, type, t0, t1, extra = null) {
      if (size >= maxParticles) return false;
      if (size === cap) grow();
      a.edge[size] = edge;
      a.dir[size] = dir;
      a.type[size] = type;
      a.t0[size] = t0;
      a.t1[size] = t1;
      a.src[size] = extra && extra.src !== undefined ? extra.src : -1;
      a.dst[size] = extra && extra.dst !== undefined ? extra.dst : -1;
      a.flags[size] = (extra && extra.flags) || 0;
      a.stop[size] = extra && extra.stop !== undefined ? extra.stop : 1;
      corr[size] = (extra && extra.corr) || null;
      size += 1;
      return true;
    },

    /**
     * Remove every particle that has arrived by simulated time `now`; `onArrive(p)` hears of
     * flagged ones (`{flags, type, src, dst, edge, dir, stop, corr}`) before they go.
     */
    expire(now, onArrive = null) {
      let i = 0;
      while (i < size) {
        if (a.t1[i] <= now) {
          if (onArrive && a.flags[i]) {
            onArrive({ flags: a.flags[i], type: a.type[i], src: a.src[i], dst: a.dst[i], edge: a.edge[i], dir: a.dir[i], stop: a.stop[i], corr: corr[i] });
          }
          size -= 1;
          for (const name of Object.keys(FIELDS)) a[name][i] = a[name][size];
          corr[i] = corr[size];
        } else i += 1;
      }
    },

    clear() {
      size = 0;
    },

    /** Where particle-like `p` (from `onArrive`) is at fraction `u` (canvas px). */
    pointOf(p, u, geom, xy, radius = 3) {
      // Borrow the last slot as scratch: position() reads the arrays.
      if (size === cap) grow();
      const k = size;
      a.edge[k] = p.edge;
      a.dir[k] = p.dir;
      a.src[k] = p.src;
      a.dst[k] = p.dst;
      const out = [0, 0];
      position(k, u, geom, xy, radius, out);
      return { x: out[0], y: out[1] };
    },

    /** Every particle drawn at `now`: `[{corr, type, src, dst, flags}]` (for the scene hook). */
    list(now) {
      const out = [];
      for (let i = 0; i < size; i += 1) {
        if (a.t0[i] > now) continue;
        out.push({ corr: corr[i], type: a.type[i], src: a.src[i], dst: a.dst[i], flags: a.flags[i] });
      }
      return out;
    },

    /**
     * Draw at simulated time `now` on `ctx`. `geom` is a Float32Array with 8 numbers per
     * edge slot (source x,y, control x,y, target x,y, unit normal in canvas pixels) and `xy`
     * the anchors' positions: particles go from anchor to anchor through their link's
     * midpoint (or along the edge without anchors), in a lane beside it by direction.
     * Returns the particles drawn.
     */
    draw(ctx, geom, now, radius = 3, xy = null) {
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
      marked = [];
      for (let i = 0; i < size; i += 1) {
        const span = a.t1[i] - a.t0[i];
        let u = span > 0 ? (now - a.t0[i]) / span : 1;
        if (u < 0) continue;
        if (u > 1) u = 1;
        u *= a.stop[i];
        position(i, u, geom, xy, radius, at);
        const slot = fill[a.type[i]]++;
        xs[slot] = at[0];
        ys[slot] = at[1];
        if (a.flags[i] && !dense) marked.push(i, at[0], at[1], u);
        drawn += 1;
      }
      // Flagged ones first, under the dots: a slow message trails, one handled elsewhere is ringed.
      for (let m = 0; m < marked.length; m += 4) {
        const i = marked[m];
        const f = a.flags[i];
        if (f & SLOW) {
          position(i, Math.max(0, marked[m + 3] - 0.12), geom, xy, radius, at);
          ctx.strokeStyle = "rgba(217, 119, 6, 0.75)";
          ctx.lineWidth = radius * 1.6;
          ctx.beginPath();
          ctx.moveTo(at[0], at[1]);
          ctx.lineTo(marked[m + 1], marked[m + 2]);
          ctx.stroke();
        }
        if (f & ELSEWHERE) {
          ctx.strokeStyle = "#f59e0b";
          ctx.lineWidth = 2;
          ctx.beginPath();
          ctx.arc(marked[m + 1], marked[m + 2], radius + 4, 0, 2 * Math.PI);
          ctx.stroke();
        }
      }
      for (let type = 0; type < MESSAGE_TYPES.length; type += 1) {
        const from = order[type];
        const to = fill[type];
        if (to === from) continue;
        const spec = MESSAGE_TYPES[type];
        ctx.fillStyle = spec.color;
        ctx.strokeStyle = spec.color;
        ctx.beginPath();
        // Past a few thousand, rectangles only (they rasterize far faster than sub-paths):
        // dots become squares, triangles upright bars; types still differ in colour and form.
        const shape = dense ? DENSE_SHAPE[spec.shape] || spec.shape : spec.shape;
        for (let s = from; s < to; s += 1) shapePath(ctx, shape, xs[s], ys[s], radius);
        if (spec.shape === "cross") {
          ctx.lineWidth = 2;
          ctx.stroke();
        } else ctx.fill();
      }
      return drawn;
    },
  };
  return layer;
}

const DENSE_SHAPE = { circle: "square", triangle: "vbar", "triangle-down": "vbar", diamond: "square" };

/** Add the outline of one particle to the current path. */
export function shapePath(ctx, shape, x, y, r) {
  if (shape === "circle") {
    ctx.moveTo(x + r, y);
    ctx.arc(x, y, r, 0, 2 * Math.PI);
  } else if (shape === "square") {
    ctx.rect(x - r, y - r, 2 * r, 2 * r);
  } else if (shape === "vbar") {
    ctx.rect(x - 0.7 * r, y - 1.5 * r, 1.4 * r, 3 * r);
  } else if (shape === "bar") {
    ctx.rect(x - 1.5 * r, y - 0.7 * r, 3 * r, 1.4 * r);
  } else if (shape === "triangle") {
    const d = r * 1.4;
    ctx.moveTo(x, y - d);
    ctx.lineTo(x + d, y + d * 0.8);
    ctx.lineTo(x - d, y + d * 0.8); // fill() closes each sub-path itself
  } else if (shape === "triangle-down") {
    const d = r * 1.4;
    ctx.moveTo(x, y + d);
    ctx.lineTo(x + d, y - d * 0.8);
    ctx.lineTo(x - d, y - d * 0.8);
  } else if (shape === "diamond") {
    const d = r * 1.35;
    ctx.moveTo(x, y - d);
    ctx.lineTo(x + d, y);
    ctx.lineTo(x, y + d);
    ctx.lineTo(x - d, y);
  } else {
    ctx.moveTo(x - r, y - r);
    ctx.lineTo(x + r, y + r);
    ctx.moveTo(x + r, y - r);
    ctx.lineTo(x - r, y + r);
  }
}
