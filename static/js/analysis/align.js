/** Pure helpers for the compare charts (no DOM, no uPlot: testable under Node). */

/**
 * Both timelines on one x axis (simulated seconds): `[t, a, b]`, nulls where one is missing.
 * A value left undefined stays so: uPlot joins a line across it, and breaks it at null
 * (the latency where a run had no successes, `breakAtGaps` in run/gaps.js).
 */
export function alignSeries(a, b, key) {
  const byT = new Map();
  const at = (values, i) => (values && i < values.length ? values[i] : null);
  (a?.t_s || []).forEach((t, i) => byT.set(t, [at(a[key], i), null]));
  (b?.t_s || []).forEach((t, i) => {
    const row = byT.get(t) || [null, null];
    row[1] = at(b[key], i);
    byT.set(t, row);
  });
  const ts = [...byT.keys()].sort((x, y) => x - y);
  return [ts, ts.map((t) => byT.get(t)[0]), ts.map((t) => byT.get(t)[1])];
}
