/**
 * Autosave: a moment after each change the document goes to the server (`POST` the first
 * time, then `PUT` with the version it was loaded at). A `422` keeps the edits locally and
 * shows the problems; a `409` means someone saved in between and asks what to do.
 * Edits not yet saved when the page goes are sent with a request that outlives it (`leave`).
 * Emits `status` (text, kind), `saved` (scenario), `problems` ([{loc, msg}]), `conflict`.
 */
import { api } from "../api.js";
import { createHub } from "../hub.js";

// A keepalive request may carry at most 64 KiB (UTF-8 bytes); leave room for the envelope.
const LEAVE_MAX_BYTES = 60_000;

export function createAutosave({ model, scenarioId = null, version = null, delay = 700 }) {
  const hub = createHub();
  let id = scenarioId;
  let ver = version;
  let timer = 0;
  let inFlight = null;
  let again = false;
  let conflict = false;
  let changes = 0; // edits scheduled so far
  let savedUpto = 0; // of which the server has these
  let refused = false; // the last save was refused (422): the edits need the user

  // The first save creates the scenario (POST); later ones replace it at its version (PUT).
  function send(doc, keepalive = false) {
    return id
      ? api(`scenarios/${encodeURIComponent(id)}`, { method: "PUT", body: { doc, version: ver }, keepalive })
      : api("scenarios", { method: "POST", body: { doc }, keepalive });
  }

  async function save() {
    if (conflict) return;
    if (inFlight) {
      again = true;
      return inFlight;
    }
    clearTimeout(timer);
    hub.emit("status", "saving…", "dirty");
    const doc = model.doc;
    const upto = changes;
    inFlight = (async () => {
      try {
        const saved = await send(doc);
        id = saved.id;
        ver = saved.version;
        savedUpto = Math.max(savedUpto, upto);
        refused = false;
        hub.emit("problems", []);
        hub.emit("saved", saved);
        // Changed again while this save was on its way: not "saved" until those are too.
        if (changes === upto) hub.emit("status", `saved (version ${ver})`, "saved");
        else hub.emit("status", "unsaved changes", "dirty");
      } catch (err) {
        if (err.status === 422) {
          refused = true;
          hub.emit("problems", err.problems);
          hub.emit("status", "not saved: fix the problems shown", "error");
        } else if (err.status === 409) {
          conflict = true;
          hub.emit("conflict");
          hub.emit("status", "someone else saved this scenario meanwhile", "error");
        } else hub.emit("status", `not saved: ${err.message}`, "error");
      } finally {
        inFlight = null;
      }
      if (again) {
        again = false;
        await save();
      }
    })();
    return inFlight;
  }

  return {
    on(name, fn) {
      hub.on(name, fn);
      return this;
    },
    /** Save a moment from now (each new change restarts the wait). */
    schedule() {
      changes += 1;
      hub.emit("status", "unsaved changes", "dirty");
      clearTimeout(timer);
      timer = setTimeout(save, delay);
    },
    /** Save now; resolves when the server has answered. */
    flush: save,
    /**
     * The page is going: send edits not saved yet with a request that outlives it. False
     * when they could not be sent that way (too large, or the first save still on its way),
     * so the page should ask the user to stay.
     */
    leave() {
      if (conflict || (changes === savedUpto && !inFlight)) return true;
      if (refused) return false; // edits the server refused: leaving would lose them
      if (!id && inFlight) return false; // a second POST would make a second scenario
      const doc = model.doc;
      if (new TextEncoder().encode(JSON.stringify(doc)).length > LEAVE_MAX_BYTES) return false;
      clearTimeout(timer);
      const upto = changes;
      send(doc, true).then(
        (saved) => {
          // Still here (the leaving was called off): carry on from this save.
          id = saved.id;
          ver = saved.version;
          savedUpto = Math.max(savedUpto, upto);
        },
        () => {}, // a 409 or 422 here is shown by the next save, if the page stays
      );
      return true;
    },
    /** After a conflict: overwrite with these edits (take the stored version first). */
    async overwrite() {
      const current = await api(`scenarios/${encodeURIComponent(id)}`);
      ver = current.version;
      conflict = false;
      return save();
    },
    get id() {
      return id;
    },
    get version() {
      return ver;
    },
  };
}
