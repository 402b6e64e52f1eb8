/**
 * The table of metric differences between two variants: from two runs (rows of
 * GET /api/compare/a/b, one seed each) or from a batch over seeds (its `diff` rows, each
 * with a 95 % interval). Only a `better` or `worse` verdict colours a row; one seed
 * supports neither, so a single-seed table colours nothing.
 */
import { el, fmt } from "../dom.js";
import { claim, deltaInterval, overSeeds, relInterval, relText } from "./intervals.js";

function num(value) {
  if (typeof value === "number" && !Number.isInteger(value)) return fmt(value, 3);
  return fmt(value);
}

function grouped(rows, columns, build) {
  const body = [];
  let group = null;
  for (const row of rows) {
    if (row.group !== group) {
      group = row.group;
      body.push(el("tr", { class: "group" }, el("th", { colspan: columns, text: group })));
    }
    body.push(build(row));
  }
  return body;
}

/** Rows of two single runs: the change on that seed, and no verdict (one seed decides nothing). */
export function diffTable(rows) {
  const head = el("tr", {}, ...["figure", "A", "B", "change", "relative", ""].map((h) => el("th", { text: h })));
  const body = grouped(rows, 6, (row) => {
    // What the two runs differ by; whether it is the design or the seed, they cannot say.
    const verdict = row.verdict === "better" || row.verdict === "worse" ? "uncertain" : row.verdict;
    return el(
      "tr",
      { class: `verdict-${verdict}`, dataset: { key: row.key, seen: row.verdict } },
      el("td", { text: row.label }),
      el("td", { class: "num", text: num(row.a) }),
      el("td", { class: "num", text: num(row.b) }),
      el("td", { class: "num", text: row.delta === null ? "–" : (row.delta > 0 ? "+" : "") + num(row.delta) }),
      el("td", { class: "num", text: relText(row.relative) }),
      el("td", { class: "verdict", text: verdict === "uncertain" ? "one seed" : "" }),
    );
  });
  return el("table", { class: "diff single-seed" }, el("thead", {}, head), el("tbody", {}, body));
}

/**
 * Rows of a batch's paired `diff` over `seeds` seeds: means, the change with its interval
 * and the verdict. `onPick(row)` runs when a row is clicked (to show its spread).
 */
export function seedTable(rows, { onPick } = {}) {
  const n = rows.reduce((most, row) => Math.max(most, row.n || 0), 0);
  const head = el("tr", {}, ...["figure", "A mean", "B mean", "change [95 %]", "relative [95 %]", ""].map((h) => el("th", { text: h })));
  const body = grouped(rows, 6, (row) => {
    const tr = el(
      "tr",
      { class: `verdict-${row.verdict} pickable`, tabindex: 0, title: claim(row), dataset: { key: row.key, verdict: row.verdict, claim: claim(row) } },
      el("td", { text: row.label }),
      el("td", { class: "num", text: num(row.a) }),
      el("td", { class: "num", text: num(row.b) }),
      el("td", { class: "num", text: deltaInterval(row.delta, row.ci95) }),
      el("td", { class: "num rel", text: relInterval(row.relative, row.relative_ci95) }),
      el("td", { class: "verdict", text: row.verdict === "n/a" || row.verdict === "same" ? row.verdict === "same" ? "same" : "" : row.verdict }),
    );
    if (onPick) {
      tr.addEventListener("click", () => onPick(row));
      tr.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          onPick(row);
        }
      });
    }
    return tr;
  });
  const caption = el("caption", { text: `B against A ${overSeeds(n)}, paired by seed; 95 % t-intervals. A row is coloured only when its interval excludes 0. Click a row for its spread.` });
  return el("table", { class: "diff seeded" }, caption, el("thead", {}, head), el("tbody", {}, body));
}
