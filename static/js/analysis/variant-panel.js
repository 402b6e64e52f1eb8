/**
 * On the run view and the editor: "what if…" for the selected link. Picking a sync or async link offers
 * its variants (flip the style, turn it into an event, toggle a timeout, retries or a
 * circuit breaker); one click runs the run's scenario and the variant as a batch with the
 * same seed (POST /api/variants: the run's snapshot and seed, or the editor's saved
 * scenario) and opens their comparison. On the run view it also links the run's requests
 * and exports page and a sweep. Loaded beside pages/run.js or pages/editor.js, which
 * publish their graph in current.js.
 */
import { api } from "../api.js";
import { current } from "../current.js";
import { el, replace } from "../dom.js";

const CHANGES = {
  sync: [
    { kind: "flip", to: "async", text: "Make it async" },
    { kind: "flip", to: "event", text: "Make it an event" },
  ],
  async: [
    { kind: "flip", to: "sync", text: "Make it sync" },
    { kind: "flip", to: "event", text: "Make it an event" },
  ],
};
const HINT = "Select a link, a service or a topic to compare it with a variant.";
const TOGGLES = [
  { setting: "timeout", text: "Toggle timeout" },
  { setting: "retries", text: "Toggle retries" },
  { setting: "circuit_breaker", text: "Toggle circuit breaker" },
];

/** What the variant is made from: `{run_id}` on the run view, `{scenario_id}` in the editor. */
function source(runId) {
  if (runId) return { run_id: runId };
  const saved = location.pathname.match(/^\/scenarios\/([0-9a-f-]{36})\/$/);
  return saved ? { scenario_id: saved[1] } : null;
}

async function main() {
  const runId = document.getElementById("main").dataset.runId;
  const toolbar = runId ? document.querySelector(".run-view .toolbar") : null;
  if (toolbar) {
    toolbar.append(el("a", { class: "button", id: "link-requests", href: `/runs/${encodeURIComponent(runId)}/requests/`, text: "Requests & exports" }));
    const sweep = el("a", { class: "button", id: "link-sweep", href: "/sweeps/new", text: "Sweep" });
    toolbar.append(sweep);
    api(`runs/${encodeURIComponent(runId)}`)
      .then((run) => {
        if (run.scenario_id) sweep.href = `/sweeps/new?scenario=${encodeURIComponent(run.scenario_id)}`;
      })
      .catch(() => {});
  }
  const status = el("p", { class: "muted", id: "variant-status", text: HINT });
  const buttons = el("div", { class: "variant-buttons", id: "variant-buttons" });
  const seedsInput = el("input", { type: "number", id: "variant-seeds", min: 1, max: 200, step: 1, value: 20 });
  const spreadButton = el("button", { type: "button", id: "btn-run-seeds", text: "Run these seeds" });
  const seedsRow = el("div", { class: "seeds-form" }, el("label", { for: "variant-seeds", text: "Run" }), seedsInput, el("span", { text: "seeds" }), spreadButton);
  const panel = el("section", { class: "inject", id: "variant", "aria-label": "Compare with a variant" }, el("h3", { text: "What if…" }), seedsRow, status, buttons);
  const side = document.querySelector(".side");
  // Under the run's story ("What happened") where the page has one, else on top.
  const story = side && side.querySelector(":scope > #narration");
  if (story) story.after(panel);
  else if (side) side.prepend(panel);
  const seeds = () => Number(seedsInput.value);
  const failed = (what, err) => {
    const problems = (err.problems || []).map((p) => p.msg).join("; ");
    status.textContent = `could not start ${what}: ${problems || err.message}`;
  };

  /** The scenario as it is (the run's snapshot and seed, or the saved one) on N seeds. */
  spreadButton.addEventListener("click", async () => {
    status.textContent = `starting ${seeds()} seeds…`;
    try {
      const from = source(runId);
      if (!from) throw new Error("save the scenario first");
      let body;
      if (from.run_id) {
        const [run, doc] = await Promise.all([api(`runs/${encodeURIComponent(runId)}`), api(`runs/${encodeURIComponent(runId)}/scenario`)]);
        if (!run.scenario_id) throw new Error("the run's scenario was deleted");
        body = { scenario_id: run.scenario_id, seed: run.seed, variants: [doc], seeds: seeds() };
      } else {
        const scenario = await api(`scenarios/${encodeURIComponent(from.scenario_id)}`);
        body = { scenario_id: scenario.id, variants: [scenario.doc], seeds: seeds() };
      }
      const batch = await api("runs/batch", { method: "POST", body });
      location.assign(`/batches/${encodeURIComponent(batch.id)}/`);
    } catch (err) {
      failed("the seeds", err);
    }
  });

  const cy = await current.whenGraph();

  async function start(change) {
    status.textContent = "starting both runs…";
    try {
      const from = source(runId);
      if (!from) throw new Error("save the scenario first");
      const batch = await api("variants", { method: "POST", body: { ...from, change, seeds: seeds() } });
      const [a, b] = batch.variants.map((v) => encodeURIComponent(v.run.id));
      location.assign(`/compare/${a}/${b}/`);
    } catch (err) {
      failed("the variant", err);
    }
  }

  function buttonsFor(items) {
    replace(
      buttons,
      items.map((item) => {
        const button = el("button", { type: "button", text: item.text, dataset: { change: JSON.stringify(item.change) } });
        button.addEventListener("click", () => start(item.change));
        return button;
      }),
    );
  }

  /** Services can toggle health checks, topics a dead-letter queue. */
  function offerNode(node) {
    const id = node.id();
    const setting = { service: "health_checks", topic: "dead_letter" }[node.data("kind")];
    if (!setting) {
      status.textContent = HINT;
      replace(buttons);
      return;
    }
    const text = setting === "health_checks" ? "Toggle health checks" : "Toggle dead-letter queue";
    status.textContent = `${node.data("kind")} ${id}: run it both ways on the same seeds and compare.`;
    buttonsFor([{ text, change: { kind: "toggle", target: id, setting } }]);
  }

  function offer(edge) {
    const link = edge.data("link");
    const style = edge.data("style");
    const changes = CHANGES[style];
    if (!changes) {
      status.textContent = `${link} is a ${style} link: only sync and async calls have variants here.`;
      replace(buttons);
      return;
    }
    status.textContent = `Link ${link} (${style}): run it both ways on the same seeds and compare.`;
    const items = [
      ...changes.map((c) => ({ text: c.text, change: { kind: "flip", link, to: c.to } })),
      ...TOGGLES.map((t) => ({ text: t.text, change: { kind: "toggle", target: link, setting: t.setting } })),
    ];
    buttonsFor(items);
  }

  cy.on("tap", "edge", (evt) => offer(evt.target));
  cy.on("tap", "node", (evt) => offerNode(evt.target));
  window.mscommVariant = { offer: (linkId) => offer(cy.getElementById(`link:${linkId}`)) };
}

main();
