/**
 * Make the graph match the document: add, remove and update only what differs, so that
 * editing one field of a 100-node scenario touches one element.
 */
import { toElements } from "../graph/elements.js";

export function syncGraph(cy, doc) {
  const wanted = toElements(doc);
  const wantedIds = new Set(wanted.map((e) => e.data.id));
  cy.batch(() => {
    cy.elements().forEach((element) => {
      if (!wantedIds.has(element.id())) cy.remove(element);
    });
    const fresh = [];
    for (const e of wanted) {
      const existing = cy.getElementById(e.data.id);
      if (existing.empty() || (e.group === "edges" && (existing.data("source") !== e.data.source || existing.data("target") !== e.data.target))) {
        if (!existing.empty()) cy.remove(existing);
        fresh.push(e);
        continue;
      }
      for (const key of ["label", "display", "kind", "style", "link"]) {
        if (e.data[key] !== undefined && existing.data(key) !== e.data[key]) existing.data(key, e.data[key]);
      }
      if (e.position) {
        const p = existing.position();
        if (p.x !== e.position.x || p.y !== e.position.y) existing.position(e.position);
      }
    }
    if (fresh.length) cy.add(fresh);
  });
}
