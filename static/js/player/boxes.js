/**
 * Where everything sits inside a node on the run view's scene, in model coordinates relative
 * to the node's top-left corner: a service is a container of instance boxes (each a grid of
 * worker cells over a row for its waiting stack), a topic a list of subscriber queues over a
 * dead-letter row, a datastore one row per reader. The layout (graph/layout.js) sizes nodes
 * with `nodeSize`, and the scene (player/scene.js) draws into `boxesOf`.
 */

export const CELL = 9; // one worker cell, px
export const CELL_GAP = 2;
export const MAX_CELLS = 40; // more workers than this: each cell stands for several
export const MAX_BOXES = 8; // more instances than this: one aggregate box with the count
const COLS = 10;
const PAD = 6;
const HEAD = 13; // the instance's title row
const QROW = 13; // the waiting stack under the cells
const BOX_GAP = 6;
const FRAME = 8; // the container's padding
export const ROW = 17; // a queue row in a topic, a reader row in a datastore
const ROW_W = 176;

/** How many worker cells one instance box draws for `workers` workers. */
export function cellCount(workers) {
  return Math.max(1, Math.min(workers, MAX_CELLS));
}

function instanceBox(workers) {
  const cells = cellCount(workers);
  const cols = Math.min(cells, COLS);
  const rows = Math.ceil(cells / COLS);
  const w = Math.max(104, 2 * PAD + cols * (CELL + CELL_GAP) - CELL_GAP);
  const h = HEAD + rows * (CELL + CELL_GAP) - CELL_GAP + 4 + QROW;
  return { w, h, cols, rows, cells };
}

/** The node's subscribers (topic) or readers (datastore): ids of the services its edges reach. */
export function consumersOf(node) {
  const style = node.data("kind") === "topic" ? "subscribe" : "poll";
  return node
    .outgoers("edge")
    .filter((e) => e.data("style") === style)
    .map((e) => e.target().id());
}

/**
 * The boxes inside a node: `{w, h, instances: [{x, y, w, h, cols, cells, index, count}],
 * rows: [{x, y, w, h, id}]}` (services have instances; topics and datastores rows, the
 * topic's last row `id: null` being its dead-letter queue).
 */
export function boxesOf(node) {
  const kind = node.data("kind");
  if (kind === "service") {
    const n = Math.max(1, Number(node.data("instances")) || 1);
    const box = instanceBox(Math.max(1, Number(node.data("workers")) || 10));
    const drawn = n > MAX_BOXES ? 1 : n;
    const columns = drawn > 3 ? 2 : 1;
    const perColumn = Math.ceil(drawn / columns);
    const instances = [];
    for (let i = 0; i < drawn; i += 1) {
      const col = Math.floor(i / perColumn);
      const row = i % perColumn;
      instances.push({
        ...box,
        x: FRAME + col * (box.w + BOX_GAP),
        y: FRAME + row * (box.h + BOX_GAP),
        index: i,
        count: n > MAX_BOXES ? n : 1, // an aggregate box stands for every instance
      });
    }
    return {
      w: 2 * FRAME + columns * box.w + (columns - 1) * BOX_GAP,
      h: 2 * FRAME + perColumn * box.h + (perColumn - 1) * BOX_GAP,
      instances,
      rows: [],
    };
  }
  const consumers = consumersOf(node);
  const ids = kind === "topic" ? [...consumers, null] : consumers;
  const top = kind === "topic" ? 6 : 20; // a datastore's first line is its record count
  const rows = ids.map((id, i) => ({ x: FRAME, y: top + i * ROW, w: ROW_W, h: ROW - 3, id }));
  return { w: ROW_W + 2 * FRAME, h: Math.max(44, top + ids.length * ROW + 4), instances: [], rows };
}

/** The width and height the layout gives `node` on the scene. */
export function nodeSize(node) {
  const b = boxesOf(node);
  return { w: b.w, h: b.h };
}

/** The broker box drawn on an async link (centred on the link's midpoint). */
export const BROKER = { w: 168, h: 50 };
