/** Undo/redo over whole-document snapshots (JSON strings: cheap, and immune to aliasing). */

export function createHistory(initial, { limit = 200 } = {}) {
  const past = [];
  const future = [];
  let present = JSON.stringify(initial);
  return {
    /** Record `doc` as the new present (a no-op when nothing changed). */
    record(doc) {
      const next = JSON.stringify(doc);
      if (next === present) return false;
      past.push(present);
      if (past.length > limit) past.shift();
      present = next;
      future.length = 0;
      return true;
    },
    undo() {
      if (!past.length) return null;
      future.push(present);
      present = past.pop();
      return JSON.parse(present);
    },
    redo() {
      if (!future.length) return null;
      past.push(present);
      present = future.pop();
      return JSON.parse(present);
    },
    get canUndo() {
      return past.length > 0;
    },
    get canRedo() {
      return future.length > 0;
    },
  };
}
