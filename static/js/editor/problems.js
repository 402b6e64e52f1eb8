/**
 * The server's validation problems (`422 {"detail": [{loc, msg}]}`) mapped onto the editor:
 * by field path (for the side panel) and by graph element (for the red outline).
 */
import { parsePath } from "./document.js";

/** `{byPath: {loc: msg}, byElement: Map(cytoscape id -> [messages]), list: [{text, element}]}`. */
export function mapProblems(doc, problems) {
  const byPath = {};
  const byElement = new Map();
  const list = []; // {text, element: cytoscape id or null}
  for (const p of problems) {
    const loc = String(p.loc ?? "");
    byPath[loc] = byPath[loc] ? `${byPath[loc]}; ${p.msg}` : p.msg;
    const [group, index] = parsePath(loc);
    let id = null;
    if (group === "nodes" && doc.nodes[index]) id = doc.nodes[index].id;
    else if (group === "links" && doc.links[index]) id = `link:${doc.links[index].id}`;
    if (id) byElement.set(id, [...(byElement.get(id) || []), `${loc}: ${p.msg}`]);
    list.push({ text: `${loc}: ${p.msg}`, element: id });
  }
  return { byPath, byElement, list };
}

/** Outline in red every element with a problem (and clear the others). */
export function markElements(cy, byElement) {
  cy.batch(() => {
    cy.elements().forEach((e) => e.toggleClass("has-error", byElement.has(e.id())));
  });
}
