/**
 * Short-lived marks on the scene that say what just happened, each where it happened:
 * a timeout bursts at the waiting cell, a crashed instance drops the requests it held, a
 * message lost by omission vanishes half-way under a cross, a wrong reply lands with a red
 * "wrong" tag, a reply handled by another instance than the one that asked draws an arc
 * from the asker to the handler, a dead letter drops into the topic's dead-letter queue, a
 * call refused by an open breaker sparks at the breaker. Times are wall milliseconds.
 */

const LIFE = { slow: 1400, burst: 900, crash: 1800, drop: 1000, lost: 1400, wrong: 1400, elsewhere: 1800, spark: 700, dead: 1200 };
const MAX = 300;
const RED = "#dc2626";

export function createMarks() {
  let marks = [];
  const last = new Map(); // kind|place -> born: one mark at a time per place and kind

  function place(m) {
    return `${m.kind}|${m.node ?? m.edge ?? m.anchor ?? ""}|${m.instance ?? m.sub ?? ""}`;
  }

  function text(ctx, x, y, str, color, z) {
    ctx.font = `bold ${Math.round(10 * Math.min(1.3, Math.max(0.8, z)))}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.lineWidth = 3;
    ctx.strokeStyle = "rgba(255,255,255,0.9)";
    ctx.strokeText(str, x, y);
    ctx.fillStyle = color;
    ctx.fillText(str, x, y);
    ctx.textAlign = "left";
  }

  function cross(ctx, x, y, r) {
    ctx.beginPath();
    ctx.moveTo(x - r, y - r);
    ctx.lineTo(x + r, y + r);
    ctx.moveTo(x + r, y - r);
    ctx.lineTo(x - r, y + r);
    ctx.stroke();
  }

  return {
    /** Start a mark of `kind` with what it needs to find its place (see the module doc). */
    add(kind, props) {
      const born = performance.now();
      const m = { kind, born, life: LIFE[kind] || 1000, ...props };
      const key = place(m);
      // One mark at a time per place (a crash is heard of twice: its event and the snapshot).
      const gap = kind === "crash" ? m.life : 250;
      if (kind !== "elsewhere" && kind !== "lost" && born - (last.get(key) || -1e9) < gap) return;
      last.set(key, born);
      if (last.size > 2000) last.clear();
      marks.push(m);
      if (marks.length > MAX) marks.shift(); // a storm: keep the newest
    },

    /** The marks alive at wall time `now`, for the scene hook. */
    list(now) {
      return marks.filter((m) => now - m.born < m.life).map((m) => {
        const out = { kind: m.kind };
        for (const k of ["node", "instance", "label", "sub", "edge"]) if (m[k] !== undefined) out[k] = m[k];
        if (m.kind === "elsewhere") Object.assign(out, { asked_by: m.asker, handled_by: m.handler });
        return out;
      });
    },

    draw(ctx, now, { scene, cy, geom, xy, particles, zoom }) {
      marks = marks.filter((m) => now - m.born < m.life);
      const z = zoom;
      for (const m of marks) {
        const age = (now - m.born) / m.life;
        const alpha = 1 - age;
        ctx.globalAlpha = Math.max(0, Math.min(1, alpha * 1.5));
        if (m.kind === "burst") {
          const at = scene.blockedCell(m.node, m.instance);
          if (!at) continue;
          ctx.strokeStyle = RED;
          ctx.lineWidth = 2;
          const r0 = 4 * z;
          const r1 = (8 + 16 * age) * z;
          ctx.beginPath();
          for (let k = 0; k < 8; k += 1) {
            const a = (k * Math.PI) / 4;
            ctx.moveTo(at.x + Math.cos(a) * r0, at.y + Math.sin(a) * r0);
            ctx.lineTo(at.x + Math.cos(a) * r1, at.y + Math.sin(a) * r1);
          }
          ctx.stroke();
          text(ctx, at.x, at.y - (14 + 8 * age) * z, m.label, RED, z);
        } else if (m.kind === "crash" || m.kind === "drop") {
          const c = scene.instanceCenter(m.node, m.instance);
          if (!c) continue;
          // The requests it held fall out of the box and fade.
          const n = m.held || 1;
          const w = c.rect ? c.rect.w : 60 * z;
          ctx.fillStyle = RED;
          ctx.beginPath();
          for (let k = 0; k < n; k += 1) {
            const x = c.x - w / 2 + ((k + 0.5) * w) / n;
            const y = c.y + (c.rect ? c.rect.h / 2 : 10) + (4 + 40 * age * age + (k % 3) * 4) * z;
            ctx.rect(x - 2.5 * z, y - 3.5 * z, 5 * z, 7 * z);
          }
          ctx.fill();
          if (m.kind === "drop") {
            ctx.strokeStyle = RED;
            ctx.lineWidth = 2;
            cross(ctx, c.x, c.y, 6 * z);
          }
          // On the box's cross, clear of its title.
          text(ctx, c.x, c.y + (c.rect ? 4 * z : -14), m.label, RED, z);
        } else if (m.kind === "lost") {
          const at = m.p ? particles.pointOf(m.p, m.p.stop, geom, xy) : scene.instanceCenter(m.node, m.instance);
          if (!at) continue;
          ctx.strokeStyle = RED;
          ctx.lineWidth = 2.5;
          cross(ctx, at.x, at.y, (5 + 3 * age) * z);
          // Over an instance box the words go under it, clear of its title.
          const below = at.rect ? at.rect.h / 2 + 8 * z : -14 * z;
          text(ctx, at.x, at.y + below, m.label, RED, z);
        } else if (m.kind === "slow") {
          const at = { x: xy[2 * m.anchor], y: xy[2 * m.anchor + 1] };
          ctx.strokeStyle = "#d97706";
          ctx.lineWidth = 2;
          ctx.beginPath();
          ctx.arc(at.x, at.y - 16 * z, 6 * z, 0, 2 * Math.PI);
          ctx.moveTo(at.x, at.y - 16 * z);
          ctx.lineTo(at.x, at.y - 20 * z);
          ctx.moveTo(at.x, at.y - 16 * z);
          ctx.lineTo(at.x + 3 * z, at.y - 16 * z);
          ctx.stroke();
          text(ctx, at.x, at.y - 28 * z, m.label, "#92400e", z);
        } else if (m.kind === "wrong") {
          const at = { x: xy[2 * m.anchor], y: xy[2 * m.anchor + 1] };
          ctx.fillStyle = "#fee2e2";
          ctx.strokeStyle = RED;
          ctx.lineWidth = 2;
          ctx.beginPath();
          ctx.rect(at.x - 32 * z, at.y - 8 * z, 64 * z, 16 * z);
          ctx.fill();
          ctx.stroke();
          text(ctx, at.x, at.y, "✗ wrong reply", RED, z);
        } else if (m.kind === "elsewhere") {
          const a = scene.instanceCenter(m.asker.split("/")[0], Number(m.asker.split("/")[1]));
          const b = scene.instanceCenter(m.handler.split("/")[0], Number(m.handler.split("/")[1]));
          if (!a || !b || !a.rect) continue;
          // An arc on the caller's side from the instance that asked to the one that got the reply.
          const side = a.rect.x - 18 * z;
          ctx.strokeStyle = "#d97706";
          ctx.lineWidth = 2.5;
          ctx.setLineDash([5, 3]);
          ctx.beginPath();
          ctx.moveTo(a.rect.x, a.y);
          ctx.bezierCurveTo(side - 14 * z, a.y, side - 14 * z, b.y, b.rect.x, b.y);
          ctx.stroke();
          ctx.setLineDash([]);
          ctx.strokeStyle = "#f59e0b";
          ctx.lineWidth = 3;
          ctx.strokeRect(b.rect.x - 2, b.rect.y - 2, b.rect.w + 4, b.rect.h + 4);
          const ka = m.asker.split("/")[1];
          const kb = m.handler.split("/")[1];
          text(ctx, b.x, b.rect.y + b.rect.h + 8 * z, `asked by ${ka}, reply to ${kb}`, "#92400e", z);
        } else if (m.kind === "spark") {
          const edge = cy.getElementById(m.edge);
          if (edge.empty()) continue;
          const at = scene.breakerAt(edge);
          ctx.strokeStyle = RED;
          ctx.lineWidth = 2;
          ctx.beginPath();
          ctx.arc(at.x, at.y, (8 + 14 * age) * z, 0, 2 * Math.PI);
          ctx.stroke();
          text(ctx, at.x, at.y - (18 + 6 * age) * z, m.label, RED, z);
        } else if (m.kind === "dead") {
          const from = scene.row(m.node, m.sub);
          const to = scene.row(m.node, null);
          if (!from || !to) continue;
          const x = from.x + from.w - 20 * z;
          const y = from.y + from.h / 2 + (to.y - from.y) * Math.min(1, age * 1.6);
          ctx.fillStyle = "#7f1d1d";
          ctx.fillRect(x - 3 * z, y - 4 * z, 6 * z, 8 * z);
          text(ctx, x - 30 * z, y, "dead letter", "#7f1d1d", z);
        }
      }
      ctx.globalAlpha = 1;
    },
  };
}
