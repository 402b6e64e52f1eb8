/**
 * The "inject a fault" panel: the element clicked on the graph is the target, the modes
 * offered are those its kind accepts (scenario-format.md, Faults), and the fault goes to
 * the run as `{"action": "inject", "fault": ...}` over the websocket.
 */
import { el, replace } from "../dom.js";

const MODES = {
  service: ["crash", "omission", "timing", "response", "arbitrary"],
  topic: ["crash"],
  link: ["omission", "timing"],
  datastore: [],
};

export function createInjectPanel({ cy, send, now, onInjected }) {
  const $ = (id) => document.getElementById(id);
  const mode = $("inject-mode");
  const button = $("btn-inject");
  const target = $("inject-target");
  let selected = null; // {id, kind, label}

  function select(element) {
    if (!element || element.empty()) {
      selected = null;
      target.textContent = "Select an element on the graph.";
      button.disabled = true;
      return;
    }
    const isEdge = element.isEdge();
    const kind = isEdge ? "link" : element.data("kind");
    const id = isEdge ? element.data("link") : element.id();
    selected = { id, kind };
    target.textContent = `${kind} ${id}${isEdge ? "" : ` (${element.data("label")})`}`;
    replace(mode, ...MODES[kind].map((m) => el("option", { value: m, text: m })));
    button.disabled = MODES[kind].length === 0;
  }

  cy.on("tap", "node, edge", (evt) => select(evt.target));
  cy.on("tap", (evt) => {
    if (evt.target === cy) select(null);
  });

  button.addEventListener("click", () => {
    if (!selected) return;
    const from = now();
    const fault = {
      target: selected.id,
      mode: mode.value,
      to_s: Math.round((from + Number($("inject-duration").value || 5)) * 1000) / 1000,
      probability: Number($("inject-probability").value || 1),
    };
    if (fault.mode === "timing" || fault.mode === "arbitrary") fault.extra_ms = Number($("inject-extra").value || 500);
    if (send({ action: "inject", fault })) {
      $("fault-log").append(el("li", { text: `${fault.mode} on ${fault.target} at ${from.toFixed(2)} s` }));
      onInjected({ ...fault, from_s: from });
    }
  });

  return { select };
}
