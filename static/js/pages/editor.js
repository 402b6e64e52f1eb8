/**
 * The editor (`/scenarios/new`, `/scenarios/<id>/`): draw a topology, edit its fields from
 * the JSON Schema, undo/redo, autosave with versions, import/export, and run it.
 */
import { api } from "../api.js";
import { createGraph, autoLayout } from "../graph/create.js";
import { positionsOf } from "../graph/elements.js";
import { legend } from "../graph/legend.js";
import { createAutosave } from "../editor/autosave.js";
import { createDocument, emptyScenario } from "../editor/document.js";
import { createPanel } from "../editor/panel.js";
import { mapProblems, markElements } from "../editor/problems.js";
import { syncGraph } from "../editor/sync.js";
import { createTools } from "../editor/tools.js";
import { createTimeline } from "../run/timeline.js";
import { current } from "../current.js";
import { fillSpeeds } from "../speeds.js";

const $ = (id) => document.getElementById(id);

async function main() {
  const scenarioId = $("main").dataset.scenarioId || null;
  const [schema, stored] = await Promise.all([
    api("schema/scenario"),
    scenarioId ? api(`scenarios/${encodeURIComponent(scenarioId)}`) : Promise.resolve(null),
  ]);
  const model = createDocument(stored ? stored.doc : emptyScenario());
  const cy = createGraph($("graph"), model.doc, { editable: true });
  window.mscommEditor = { cy, model }; // a test hook; modules use current.js
  current.setGraph(cy);
  fillSpeeds($("run-speed"), 0.05);
  $("legend").append(legend());

  const autosave = createAutosave({ model, scenarioId: stored ? stored.id : null, version: stored ? stored.version : null });
  const panel = createPanel({
    container: $("panel"),
    document: model,
    schema,
    // A problem on an element: select it (the panel then shows its fields and the error).
    onShow: (id) => {
      cy.$(":selected").unselect();
      cy.getElementById(id).select();
      cy.animate({ center: { eles: cy.getElementById(id) } }, { duration: 200 });
    },
  });
  const hint = $("hint");
  createTools({ cy, model, container: $("graph"), hint, onRun: run, onSave: () => autosave.flush() });

  function drawTimeline(doc) {
    const box = $("timeline");
    for (const old of box.querySelectorAll(".fault")) old.remove();
    const timeline = createTimeline(box, (doc.duration_s ?? 60) + (doc.drain_s ?? 30));
    for (const f of doc.faults || []) timeline.fault(f);
  }

  // Scheduling a fault: select an element, then click the timeline where it should start.
  $("timeline").addEventListener("click", (evt) => {
    if (evt.target.closest(".fault")) {
      hint.textContent = `${evt.target.closest(".fault").title}: edit or remove it under Faults (click the graph's background).`;
      return;
    }
    const doc = model.doc;
    const endS = (doc.duration_s ?? 60) + (doc.drain_s ?? 30);
    const box = $("timeline").getBoundingClientRect();
    const from = Math.round(((evt.clientX - box.left) / box.width) * endS * 10) / 10;
    const chosen = cy.$(":selected");
    if (chosen.length !== 1 || chosen.is('node[kind = "datastore"]')) {
      hint.textContent = "To schedule a fault, select one service, topic or link, then click the timeline where it should start.";
      return;
    }
    const element = chosen[0];
    const target = element.isEdge() ? element.data("link") : element.id();
    const mode = element.isEdge() ? "omission" : "crash";
    const to = Math.min(endS, Math.round((from + endS / 10) * 10) / 10);
    model.set(`faults[${doc.faults.length}]`, { target, mode, from_s: from, to_s: to, probability: element.isEdge() ? 0.5 : 1 });
    hint.textContent = `Scheduled: ${mode} on ${target} from ${from} s to ${to} s. Change it under Faults (click the background).`;
  });

  let problems = mapProblems(model.doc, []);
  function refresh(doc) {
    syncGraph(cy, doc);
    markElements(cy, problems.byElement);
    $("scenario-title").textContent = doc.name;
    document.title = `${doc.name} · editor · mscomm`;
    $("btn-undo").disabled = !model.history.canUndo;
    $("btn-redo").disabled = !model.history.canRedo;
    drawTimeline(doc);
    panel.render();
  }

  model.on("change", (doc) => {
    refresh(doc);
    autosave.schedule();
  });
  // Closing or leaving the page before the autosave ran: the edits go with the page, or,
  // when they cannot, the browser asks the user to stay.
  addEventListener("beforeunload", (event) => {
    if (!autosave.leave()) event.preventDefault();
  });
  cy.on("select", "node, edge", (evt) => {
    const t = evt.target;
    panel.select(t.isNode() ? { kind: "node", id: t.id() } : { kind: "link", id: t.data("link") });
  });
  cy.on("unselect", () => {
    if (!cy.$(":selected").length) panel.select(null);
  });

  autosave
    .on("status", (text, kind) => {
      $("save-status").textContent = text;
      $("save-status").className = `status ${kind}`;
    })
    .on("saved", (saved) => {
      if (!scenarioId && location.pathname !== `/scenarios/${saved.id}/`) history.replaceState(null, "", `/scenarios/${saved.id}/`);
    })
    .on("problems", (list) => {
      problems = mapProblems(model.doc, list);
      markElements(cy, problems.byElement);
      panel.problems(problems);
    })
    .on("conflict", () => $("conflict").classList.remove("hidden"));

  $("btn-theirs").addEventListener("click", () => location.reload());
  $("btn-overwrite").addEventListener("click", async () => {
    $("conflict").classList.add("hidden");
    await autosave.overwrite();
  });
  $("btn-undo").addEventListener("click", () => model.undo());
  $("btn-redo").addEventListener("click", () => model.redo());
  $("btn-fit").addEventListener("click", () => cy.fit(undefined, 40));
  $("btn-layout").addEventListener("click", () => {
    autoLayout(cy).one("layoutstop", () => model.positions(positionsOf(cy)));
  });
  $("btn-export").addEventListener("click", () => {
    const blob = new Blob([JSON.stringify(model.doc, null, 2)], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `${(model.doc.name || "scenario").replace(/[^a-zA-Z0-9_-]+/g, "-")}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });
  $("import-file").addEventListener("change", async (evt) => {
    const file = evt.target.files[0];
    if (!file) return;
    try {
      const doc = JSON.parse(await file.text());
      if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error("not a scenario");
      model.replace(doc, "import");
      cy.fit(undefined, 40);
      hint.textContent = `Imported ${file.name}. Undo (Ctrl+Z) brings back what was here.`;
    } catch (err) {
      hint.textContent = `Import failed: ${err.message}`;
    }
    evt.target.value = "";
  });

  async function run() {
    await autosave.flush();
    if (!autosave.id || problems.list.length) {
      hint.textContent = "Fix the problems shown before running.";
      return;
    }
    try {
      const created = await api("runs", { method: "POST", body: { scenario_id: autosave.id, seed: null, speed: Number($("run-speed").value), mode: "live" } });
      location.assign(`/runs/${encodeURIComponent(created.id)}/`);
    } catch (err) {
      hint.textContent = `Could not start the run: ${err.message}`;
    }
  }
  $("btn-run").addEventListener("click", run);

  // Sweeps: the field last focused in the panel is the one to vary.
  $("panel").addEventListener("focusin", (evt) => {
    const path = evt.target.dataset && evt.target.dataset.path;
    if (path && evt.target.type === "number") $("sweep-param").value = path;
  });
  $("btn-sweep").addEventListener("click", async () => {
    const values = $("sweep-values").value.split(",").map((v) => v.trim()).filter(Boolean).map((v) => (Number.isFinite(Number(v)) ? Number(v) : v));
    const say = (text) => {
      $("sweep-status").textContent = text;
    };
    if (!$("sweep-param").value || values.length < 2) return say("Name a field and at least two values.");
    await autosave.flush();
    if (!autosave.id) return say("Save the scenario first (fix the problems shown).");
    try {
      const batch = await api("runs/batch", { method: "POST", body: { scenario_id: autosave.id, seed: null, param: $("sweep-param").value.trim(), values } });
      location.assign(`/batches/${encodeURIComponent(batch.id)}/`);
    } catch (err) {
      say(err.problems.length ? err.problems.map((p) => `${p.loc}: ${p.msg}`).join("; ") : err.message);
    }
  });

  refresh(model.doc);
  if (!stored) autosave.flush();
  else $("save-status").textContent = `saved (version ${stored.version})`;
}

main().catch((err) => {
  $("save-status").textContent = `could not load: ${err.message}`;
  $("save-status").className = "status error";
  throw err;
});
