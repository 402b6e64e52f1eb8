/**
 * The editor's side panel: the scenario's own fields, workload and faults when nothing is
 * selected; the selected node's or link's fields otherwise. Fields come from the JSON
 * Schema, and the server's problems show on the field they name.
 */
import { el, replace } from "../dom.js";
import { LINK_STYLES } from "../graph/palette.js";
import { objectFields } from "./schemaform.js";

// Which link options mean something for which style (scenario-format.md, Links).
const CALLS = ["sync", "async"];
const OPTION_STYLES = {
  network_ms: CALLS,
  timeout_ms: CALLS,
  retries: CALLS,
  backoff_ms: CALLS,
  backoff_multiplier: CALLS,
  circuit_breaker: CALLS,
  optional: CALLS,
  reply_work_ms: ["async"],
  step: [...CALLS, "publish", "write"],
  probability: [...CALLS, "publish", "write"],
  interval_ms: ["poll"],
  operation: [...CALLS, "subscribe"],
};

export function createPanel({ container, document: model, schema, onSelect }) {
  const defs = schema.$defs || {};
  let selection = null; // {kind: "node"|"link", id}
  let problems = { byPath: {}, list: [] };

  function section(titleText, ...children) {
    return el("section", { class: "panel-section" }, el("h3", { text: titleText }), ...children);
  }

  function onChange(path, value) {
    model.set(path, value);
  }

  function problemList() {
    if (!problems.list.length) return null;
    return el(
      "div",
      { class: "subtle-box", role: "alert", id: "problem-list" },
      el("strong", { text: `Not saved: ${problems.list.length} problem${problems.list.length > 1 ? "s" : ""}` }),
      el("ul", { class: "errors" }, problems.list.map((text) => el("li", { text }))),
    );
  }

  function idField(label, value, rename) {
    const input = el("input", { type: "text", maxlength: 40, value, id: "f-element-id" });
    const box = el("div", { class: "field" }, el("label", { for: "f-element-id", text: label }), input);
    input.addEventListener("change", () => {
      const err = rename(value, input.value.trim());
      if (err) {
        box.classList.add("invalid");
        box.append(el("span", { class: "error", role: "alert", text: err }));
      } else select({ ...selection, id: input.value.trim() });
    });
    return box;
  }

  function scenarioView(doc) {
    const root = schema;
    const workload = doc.workload.map((w, i) =>
      el(
        "fieldset",
        { class: "subtle-box" },
        el("legend", { text: `Workload ${i + 1}` }),
        objectFields(defs.Workload, defs, w, { prefix: `workload[${i}]`, onChange, errors: problems.byPath }),
        el("button", { type: "button", class: "danger", text: "Remove", onclick: () => model.set(`workload[${i}]`, undefined) }),
      ),
    );
    const faults = doc.faults.map((f, i) =>
      el(
        "fieldset",
        { class: "subtle-box" },
        el("legend", { text: `Fault ${i + 1}: ${f.mode} on ${f.target}` }),
        objectFields(defs.Fault, defs, f, { prefix: `faults[${i}]`, onChange, errors: problems.byPath }),
        el("button", { type: "button", class: "danger", text: "Remove", onclick: () => model.set(`faults[${i}]`, undefined) }),
      ),
    );
    const firstService = doc.nodes.find((n) => n.kind === "service");
    return [
      section("Scenario", ...objectFields(root, defs, doc, { prefix: "", onChange, errors: problems.byPath, skip: ["nodes", "links", "workload", "faults", "layout", "format"] })),
      section(
        "Workload",
        el("p", { class: "muted", text: "External requests entering an entry service." }),
        ...workload,
        el("button", {
          type: "button",
          text: "Add workload",
          disabled: !firstService,
          onclick: () => model.set(`workload[${doc.workload.length}]`, { entry: firstService.id, arrival: { process: "poisson", rate_per_s: 10 } }),
        }),
      ),
      section(
        "Faults",
        el("p", { class: "muted", text: "Scheduled failures, drawn on the timeline under the graph." }),
        ...faults,
        el("button", {
          type: "button",
          text: "Add fault",
          disabled: !doc.nodes.length,
          onclick: () => model.set(`faults[${doc.faults.length}]`, { target: doc.nodes[0].id, mode: "crash", from_s: 10, to_s: 20 }),
        }),
      ),
    ];
  }

  function nodeView(doc, node) {
    const i = doc.nodes.indexOf(node);
    const def = defs[node.kind[0].toUpperCase() + node.kind.slice(1)];
    return [
      section(
        `${node.kind[0].toUpperCase()}${node.kind.slice(1)}`,
        idField("Id", node.id, model.renameNode),
        ...objectFields(def, defs, node, { prefix: `nodes[${i}]`, onChange, errors: problems.byPath, skip: ["id", "kind"] }),
        el("button", { type: "button", class: "danger", text: "Delete", onclick: () => model.remove({ nodes: [node.id] }) }),
      ),
    ];
  }

  function linkView(doc, link) {
    const i = doc.links.indexOf(link);
    const from = model.node(link.from);
    const to = model.node(link.to);
    const styles = Object.entries(LINK_STYLES).filter(([, s]) => from && to && s.from === from.kind && s.to === to.kind);
    const style = el("select", { id: "f-link-style", dataset: { path: `links[${i}].style` } }, styles.map(([name, s]) => el("option", { value: name, text: `${name}: ${s.label}` })));
    style.value = link.style;
    style.addEventListener("change", () => onChange(`links[${i}].style`, style.value));
    const defsLink = defs.Link;
    const skip = ["id", "from", "to", "style", ...Object.keys(OPTION_STYLES).filter((k) => !OPTION_STYLES[k].includes(link.style))];
    return [
      section(
        "Link",
        el("p", { class: "muted", text: `${link.from} → ${link.to}` }),
        idField("Id", link.id, model.renameLink),
        el("div", { class: "field" }, el("label", { for: "f-link-style", text: "Style" }), style),
        ...objectFields(defsLink, defs, link, { prefix: `links[${i}]`, onChange, errors: problems.byPath, skip }),
        el("button", { type: "button", class: "danger", text: "Delete", onclick: () => model.remove({ links: [link.id] }) }),
      ),
    ];
  }

  function render() {
    const doc = model.doc;
    const focused = document.activeElement && container.contains(document.activeElement) ? document.activeElement.dataset.path : null;
    let view;
    const node = selection && selection.kind === "node" ? model.node(selection.id) : null;
    const link = selection && selection.kind === "link" ? model.link(selection.id) : null;
    if (node) view = nodeView(doc, node);
    else if (link) view = linkView(doc, link);
    else view = scenarioView(doc);
    replace(container, problemList(), ...view);
    if (focused) {
      const again = container.querySelector(`[data-path="${CSS.escape(focused)}"]:is(input, select, textarea)`);
      if (again) again.focus();
    }
  }

  function select(next) {
    selection = next;
    render();
    if (onSelect) onSelect(selection);
  }

  return {
    render,
    select,
    get selection() {
      return selection;
    },
    /** Show `mapped` problems (from editor/problems.js) and redraw. */
    problems(mapped) {
      problems = mapped;
      render();
    },
  };
}
