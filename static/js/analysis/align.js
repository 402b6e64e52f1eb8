/** Pure helpers for the compare charts (no DOM, no uPlot: testable under Node). */

/** Both timelines on one x axis (simulated seconds): `[t, a, b]`, nulls where one is missing. */
export function alignSeries(a, b, key) {
  const byT = new Map();
  (a?.t_s || []).forEach((t, i) => byT.set(t, [a[key]?.[i] ?? null, null]));
  (b?.t_s || []).forEach((t, i) => {
    const row = byT.get(t) || [null, null];
    row[1] = b[key]?.[i] ?? null;
    byT.set(t, row);
  });
  const ts = [...byT.keys()].sort((x, y) => x - y);
  return [ts, ts.map((t) => byT.get(t)[0]), ts.map((t) => byT.get(t)[1])];
}
