/**
 * A figure's spread across seeds: a histogram per variant on one axis, with each
 * variant's P10–P90 range and median drawn under it (values from
 * GET /api/runs/batch/{id}/values). Canvas only: no markup from the data.
 */
import { el, fmt, replace } from "../dom.js";

const COLORS = ["#2563eb", "#ea580c", "#16a34a", "#9333ea"];

function quantile(sorted, q) {
  if (!sorted.length) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Equal-width bins over [min, max] of every series: `{edges, counts: [[...] per series]}`. */
export function histogram(series, bins) {
  const all = series.flat();
  const min = Math.min(...all);
  const max = Math.max(...all);
  const width = max > min ? (max - min) / bins : 1;
  const edges = Array.from({ length: bins + 1 }, (_, i) => min + i * width);
  const counts = series.map((values) => {
    const row = new Array(bins).fill(0);
    for (const v of values) row[Math.min(bins - 1, Math.floor((v - min) / width))] += 1;
    return row;
  });
  return { edges, counts };
}

/**
 * Draw `series` (`[{label, values}]`, nulls ignored) into `container` under `title`;
 * returns what it drew (`{bins, counts, n}`), also kept in `window.mscommSpread`.
 */
export function spreadChart(container, { title, series }) {
  const clean = series.map((s) => ({ label: s.label, values: s.values.filter((v) => typeof v === "number" && Number.isFinite(v)) }));
  const n = clean.reduce((sum, s) => sum + s.values.length, 0);
  const heading = el("h3", { text: title });
  if (!n) {
    replace(container, heading, el("p", { class: "muted", text: "No seed has this figure yet." }));
    window.mscommSpread = { title, bins: 0, counts: [], n: 0 };
    return window.mscommSpread;
  }
  const bins = Math.max(4, Math.min(20, Math.ceil(Math.sqrt(Math.max(...clean.map((s) => s.values.length))) * 2)));
  const { edges, counts } = histogram(clean.map((s) => s.values), bins);
  const canvas = el("canvas", { class: "spread-canvas", width: 560, height: 90 + 24 * clean.length, "aria-label": `Distribution of ${title} across seeds` });
  const legend = el(
    "p",
    { class: "muted spread-legend" },
    clean.map((s, i) => {
      const sorted = [...s.values].sort((a, b) => a - b);
      const [p10, p50, p90] = [0.1, 0.5, 0.9].map((q) => quantile(sorted, q));
      return el("span", { class: `spread-key spread-key-${i}`, text: `${s.label}: n ${s.values.length}, P10 ${fmt(p10, 3)} · P50 ${fmt(p50, 3)} · P90 ${fmt(p90, 3)}  ` });
    }),
  );
  replace(container, heading, canvas, legend);
  const ctx = canvas.getContext("2d");
  const pad = 30;
  const plotW = canvas.width - 2 * pad;
  const plotH = 70;
  const top = Math.max(...counts.flat());
  const x = (v) => pad + ((v - edges[0]) / (edges[bins] - edges[0] || 1)) * plotW;
  const barW = plotW / bins / clean.length;
  counts.forEach((row, s) => {
    ctx.fillStyle = COLORS[s % COLORS.length];
    ctx.globalAlpha = 0.75;
    row.forEach((count, b) => {
      const h = (count / top) * plotH;
      ctx.fillRect(pad + (b * plotW) / bins + s * barW, 10 + plotH - h, Math.max(1, barW - 1), h);
    });
  });
  ctx.globalAlpha = 1;
  ctx.strokeStyle = "#94a3b8";
  ctx.beginPath();
  ctx.moveTo(pad, 10 + plotH + 0.5);
  ctx.lineTo(pad + plotW, 10 + plotH + 0.5);
  ctx.stroke();
  ctx.fillStyle = "#475569";
  ctx.font = "11px sans-serif";
  ctx.fillText(fmt(edges[0], 3), pad, 10 + plotH + 12);
  const right = fmt(edges[bins], 3);
  ctx.fillText(right, pad + plotW - ctx.measureText(right).width, 10 + plotH + 12);
  // Each variant's P10–P90 as a bar with its median as a tick (a box without whiskers).
  clean.forEach((s, i) => {
    const sorted = [...s.values].sort((a, b) => a - b);
    const y = 10 + plotH + 24 + i * 24;
    const [p10, p50, p90] = [0.1, 0.5, 0.9].map((q) => quantile(sorted, q));
    ctx.fillStyle = COLORS[i % COLORS.length];
    ctx.fillRect(x(p10), y - 5, Math.max(2, x(p90) - x(p10)), 10);
    ctx.fillStyle = "#0f172a";
    ctx.fillRect(x(p50) - 1, y - 8, 2, 16);
  });
  window.mscommSpread = { title, bins, counts, n };
  return window.mscommSpread;
}
