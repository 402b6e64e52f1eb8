/**
 * Autosave: a moment after each change the document goes to the server (`POST` the first
 * time, then `PUT` with the version it was loaded at). A `422` keeps the edits locally and
 * shows the problems; a `409` means someone saved in between and asks what to do.
 * Emits `status` (text, kind), `saved` (scenario), `problems` ([{loc, msg}]), `conflict`.
 */
import { api } from "../api.js";
import { createHub } from "../hub.js";

export function createAutosave({ model, scenarioId = null, version = null, delay = 700 }) {
  const hub = createHub();
  let id = scenarioId;
  let ver = version;
  let timer = 0;
  let inFlight = null;
  let again = false;
  let conflict = false;
  let changes = 0; // edits scheduled so far

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
        const saved = id
          ? await api(`scenarios/${encodeURIComponent(id)}`, { method: "PUT", body: { doc, version: ver } })
          : await api("scenarios", { method: "POST", body: { doc } });
        id = saved.id;
        ver = saved.version;
        hub.emit("problems", []);
        hub.emit("saved", saved);
        // Changed again while this save was on its way: not "saved" until those are too.
        if (changes === upto) hub.emit("status", `saved (version ${ver})`, "saved");
        else hub.emit("status", "unsaved changes", "dirty");
      } catch (err) {
        if (err.status === 422) {
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
