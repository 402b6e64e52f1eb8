/** The table of metric differences between two runs (rows from GET /api/compare/a/b). */
import { el, fmt } from "../dom.js";

function pct(relative) {
  if (relative === null || relative === undefined) return "–";
  const sign = relative > 0 ? "+" : "";
  return `${sign}${(relative * 100).toFixed(1)} %`;
}

function num(value) {
  if (typeof value === "number" && !Number.isInteger(value)) return fmt(value, 3);
  return fmt(value);
}

/** A `<table>` with one row per figure; the verdict colours the row (better/worse). */
export function diffTable(rows) {
  const head = el("tr", {}, ...["figure", "A", "B", "change", "relative", ""].map((h) => el("th", { text: h })));
  const body = [];
  let group = null;
  for (const row of rows) {
    if (row.group !== group) {
      group = row.group;
      body.push(el("tr", { class: "group" }, el("th", { colspan: 6, text: group })));
    }
    body.push(
      el(
        "tr",
        { class: `verdict-${row.verdict}`, dataset: { key: row.key } },
        el("td", { text: row.label }),
        el("td", { class: "num", text: num(row.a) }),
        el("td", { class: "num", text: num(row.b) }),
        el("td", { class: "num", text: row.delta === null ? "–" : (row.delta > 0 ? "+" : "") + num(row.delta) }),
        el("td", { class: "num", text: pct(row.relative) }),
        el("td", { class: "verdict", text: row.verdict === "n/a" || row.verdict === "same" ? "" : row.verdict }),
      ),
    );
  }
  return el("table", { class: "diff" }, el("thead", {}, head), el("tbody", {}, body));
}
