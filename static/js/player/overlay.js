/**
 * Node state on the canvas: a bar per service instance split into busy, blocked-on-sync and
 * idle workers, its queue length, a crossed-out grey bar for a crashed instance, and
 * short-lived flashes (timeouts, drops, crashes) as red rings.
 */
import { CRASHED_COLOR, WORKER_STATES } from "../graph/palette.js";

const BAR_H = 7;
const BAR_GAP = 3;
const MAX_ROWS = 6;
const COLORS = Object.fromEntries(WORKER_STATES.map((s) => [s.key, s.color]));

/** Size `canvas` to its box at the device's pixel ratio; the box's [width, height] in CSS px. */
export function fitCanvas(canvas, ctx) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
  }
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return [w, h];
}

/** Draw the instance bars of every service in `state.services` under its node. */
export function drawInstances(ctx, cy, services) {
  if (!services) return;
  const zoom = cy.zoom();
  if (zoom < 0.35) return; // too small to read: the labels and particles still tell the story
  ctx.font = "10px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  for (const [id, svc] of Object.entries(services)) {
    const node = cy.getElementById(id);
    if (node.empty()) continue;
    const bb = node.renderedBoundingBox({ includeLabels: false, includeOverlays: false });
    const width = Math.max(40, bb.w - 24);
    const x = bb.x1 + (bb.w - width) / 2;
    let y = bb.y2 + 4;
    const instances = svc.instances || [];
    instances.slice(0, MAX_ROWS).forEach((inst) => {
      drawBar(ctx, x, y, width, inst);
      y += BAR_H + BAR_GAP;
    });
    if (instances.length > MAX_ROWS) {
      ctx.fillStyle = "#374151";
      ctx.fillText(`+${instances.length - MAX_ROWS} more instances`, x, y + 4);
    }
  }
}

function drawBar(ctx, x, y, width, inst) {
  const total = (inst.working || 0) + (inst.blocked || 0) + (inst.idle || 0);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(x - 1, y - 1, width + 2, BAR_H + 2);
  if (!inst.up) {
    ctx.fillStyle = CRASHED_COLOR;
    ctx.fillRect(x, y, width, BAR_H);
    ctx.strokeStyle = "#dc2626";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x + width / 2 - 5, y - 2);
    ctx.lineTo(x + width / 2 + 5, y + BAR_H + 2);
    ctx.moveTo(x + width / 2 + 5, y - 2);
    ctx.lineTo(x + width / 2 - 5, y + BAR_H + 2);
    ctx.stroke();
  } else if (total > 0) {
    let cx = x;
    for (const key of ["working", "blocked", "idle"]) {
      const w = ((inst[key] || 0) / total) * width;
      ctx.fillStyle = COLORS[key];
      ctx.fillRect(cx, y, w, BAR_H);
      cx += w;
    }
  }
  if (inst.queue) {
    ctx.fillStyle = "#b91c1c";
    ctx.fillText(`q${inst.queue}`, x + width + 4, y + BAR_H / 2);
  }
}

/**
 * Draw and age flashes (`{born, life}` in wall ms plus whatever `where(flash)` needs to give
 * its `{x, y}` in canvas pixels, or null); returns the ones still alive.
 */
export function drawFlashes(ctx, flashes, nowMs, where) {
  const alive = [];
  ctx.lineWidth = 3;
  for (const f of flashes) {
    const age = (nowMs - f.born) / f.life;
    if (age >= 1) continue;
    alive.push(f);
    const at = where(f);
    if (!at) continue;
    ctx.strokeStyle = `rgba(220, 38, 38, ${1 - age})`;
    ctx.beginPath();
    ctx.arc(at.x, at.y, 8 + 22 * age, 0, 2 * Math.PI);
    ctx.stroke();
  }
  return alive;
}
