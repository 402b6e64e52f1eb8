/**
 * Editing gestures on the graph: the palette adds nodes (click, or drag onto the graph),
 * a link tool joins two nodes (click the source, then the target), node drags are
 * stored, and keyboard shortcuts drive undo/redo, delete and the tools.
 */
import { positionsOf } from "../graph/elements.js";

export function createTools({ cy, model, container, hint, onRun, onSave }) {
  let linkStyle = null; // the style being drawn, or null
  let source = null;
  const buttons = [...document.querySelectorAll("[data-link-style]")];

  function say(text) {
    hint.textContent = text;
  }

  function setLinkTool(style) {
    linkStyle = linkStyle === style ? null : style;
    if (source) cy.getElementById(source).removeClass("link-source");
    source = null;
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.linkStyle === linkStyle));
    // While drawing links, a press-and-drag from a node draws a link instead of moving it.
    cy.autoungrabify(Boolean(linkStyle));
    say(linkStyle ? `Link (${linkStyle}): click the element that sends, then the one that receives (or drag from one to the other). Esc to stop.` : "");
  }

  function link(from, to) {
    cy.getElementById(from).removeClass("link-source");
    const made = model.addLink(from, to, linkStyle);
    say(made.error ? `Cannot link: ${made.error}.` : `Linked ${from} → ${to} as ${made.style}. Click another source, or Esc.`);
    source = null;
  }

  /** The first free spot near the graph's centre, so new nodes never land on others. */
  function freeSpot() {
    const ext = cy.extent();
    const taken = Object.values(model.doc.layout || {});
    const free = (x, y) => taken.every((p) => Math.abs(p.x - x) > 140 || Math.abs(p.y - y) > 70);
    const cx = (ext.x1 + ext.x2) / 2;
    const cy0 = (ext.y1 + ext.y2) / 2;
    for (let ring = 0; ring < 12; ring += 1) {
      for (let k = -ring; k <= ring; k += 1) {
        for (const [dx, dy] of [[k, -ring], [k, ring], [-ring, k], [ring, k]]) {
          if (free(cx + dx * 160, cy0 + dy * 90)) return { x: cx + dx * 160, y: cy0 + dy * 90 };
        }
      }
    }
    return { x: cx, y: cy0 };
  }

  function addNode(kind, pos = freeSpot()) {
    const id = model.addNode(kind, pos);
    cy.$(":selected").unselect();
    cy.getElementById(id).select();
    say(`Added ${id}. Drag it into place; pick a link style to connect it.`);
  }

  for (const b of document.querySelectorAll("[data-add-kind]")) {
    b.addEventListener("click", () => addNode(b.dataset.addKind));
    b.addEventListener("dragstart", (evt) => evt.dataTransfer.setData("text/x-mscomm-kind", b.dataset.addKind));
  }
  container.addEventListener("dragover", (evt) => evt.preventDefault());
  container.addEventListener("drop", (evt) => {
    const kind = evt.dataTransfer.getData("text/x-mscomm-kind");
    if (!kind) return;
    evt.preventDefault();
    const box = container.getBoundingClientRect();
    const pan = cy.pan();
    const zoom = cy.zoom();
    addNode(kind, { x: (evt.clientX - box.left - pan.x) / zoom, y: (evt.clientY - box.top - pan.y) / zoom });
  });
  for (const b of buttons) b.addEventListener("click", () => setLinkTool(b.dataset.linkStyle));

  let suppressTap = false;
  cy.on("tap", "node", (evt) => {
    if (suppressTap) {
      suppressTap = false;
      return;
    }
    if (!linkStyle) return;
    const id = evt.target.id();
    if (!source) {
      source = id;
      evt.target.addClass("link-source");
      say(`Link (${linkStyle}) from ${id}: now click the receiving element.`);
      return;
    }
    link(source, id);
  });

  // Drag to link: a press on one node and a release over another.
  let pressed = null;
  cy.on("tapstart", "node", (evt) => {
    pressed = linkStyle ? evt.target.id() : null;
  });
  cy.on("tapend", (evt) => {
    const from = pressed;
    pressed = null;
    if (!linkStyle || !from) return;
    const p = evt.position;
    const over = cy.nodes().filter((n) => {
      const bb = n.boundingBox({ includeLabels: false });
      return p.x >= bb.x1 && p.x <= bb.x2 && p.y >= bb.y1 && p.y <= bb.y2;
    });
    if (over.length && over[0].id() !== from) {
      source = null; // the tap that follows this release must not start a new link
      suppressTap = true;
      link(from, over[0].id());
    }
  });
  cy.on("dragfree", "node", () => model.positions(positionsOf(cy)));

  function selected() {
    const nodes = cy.nodes(":selected").map((n) => n.id());
    const links = cy.edges(":selected").map((e) => e.data("link"));
    return { nodes, links };
  }

  document.addEventListener("keydown", (evt) => {
    const typing = evt.target.closest && evt.target.closest("input, textarea, select");
    const mod = evt.ctrlKey || evt.metaKey;
    if (mod && evt.key.toLowerCase() === "z" && !typing) {
      evt.preventDefault();
      if (evt.shiftKey) model.redo();
      else model.undo();
    } else if (mod && evt.key.toLowerCase() === "y" && !typing) {
      evt.preventDefault();
      model.redo();
    } else if (mod && evt.key.toLowerCase() === "s") {
      evt.preventDefault();
      onSave();
    } else if (mod && evt.key === "Enter") {
      evt.preventDefault();
      onRun();
    } else if (typing || mod || evt.altKey) {
      return;
    } else if (evt.key === "Delete" || evt.key === "Backspace") {
      const gone = selected();
      if (gone.nodes.length || gone.links.length) {
        evt.preventDefault();
        model.remove(gone);
      }
    } else if (evt.key === "Escape") {
      if (linkStyle) setLinkTool(linkStyle);
      cy.$(":selected").unselect();
    } else if (evt.key === "s") addNode("service");
    else if (evt.key === "t") addNode("topic");
    else if (evt.key === "d") addNode("datastore");
    else if (evt.key === "l") setLinkTool(linkStyle || "sync");
    else if (evt.key === "f") cy.fit(undefined, 40);
  });

  return { setLinkTool, addNode };
}
