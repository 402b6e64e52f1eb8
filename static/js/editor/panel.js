/**
 * The editor's side panel: the scenario's own fields, workload and faults when nothing is
 * selected; the selected node's or link's fields otherwise. Fields come from the JSON
 * Schema, and the server's problems show on the field they name.
 */
import { el, replace } from "../dom.js";
import { LINK_STYLES } from "../graph/palette.js";
import { objectFields } from "./schemaform.js";
import { newSlo, sloMetrics } from "./slos.js";

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

function serviceIds(doc) {
  return doc.nodes.filter((n) => n.kind === "service").map((n) => n.id);
}

export function createPanel({ container, document: model, schema, onSelect, onShow }) {
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
      el(
        "ul",
        { class: "errors" },
        problems.list.map(({ text, element }) =>
          el("li", {}, element && onShow ? el("button", { type: "button", class: "linklike-error", text, onclick: () => onShow(element) }) : text),
        ),
      ),
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
        objectFields(defs.Workload, defs, w, { prefix: `workload[${i}]`, onChange, errors: problems.byPath, choices: { entry: serviceIds(doc) } }),
        el("button", { type: "button", class: "danger", text: "Remove", onclick: () => model.set(`workload[${i}]`, undefined) }),
      ),
    );
    const faults = doc.faults.map((f, i) =>
      el(
        "fieldset",
        { class: "subtle-box" },
        el("legend", { text: `Fault ${i + 1}: ${f.mode} on ${f.target}` }),
        objectFields(defs.Fault, defs, f, { prefix: `faults[${i}]`, onChange, errors: problems.byPath, choices: { target: [...doc.nodes.map((n) => n.id), ...doc.links.map((l) => l.id)] } }),
        el("button", { type: "button", class: "danger", text: "Remove", onclick: () => model.set(`faults[${i}]`, undefined) }),
      ),
    );
    // SLOs: targets every run is checked against (scenario-format.md, SLOs).
    const slos = (doc.slos || []).map((slo, i) =>
      el(
        "fieldset",
        { class: "subtle-box slo-box" },
        el("legend", { text: `SLO ${i + 1}: ${slo.label || slo.id}` }),
        objectFields(defs.Slo, defs, slo, { prefix: `slos[${i}]`, onChange, errors: problems.byPath, choices: { metric: sloMetrics(doc) } }),
        el("button", { type: "button", class: "danger", text: "Remove", onclick: () => model.set(`slos[${i}]`, undefined) }),
      ),
    );
    const firstService = doc.nodes.find((n) => n.kind === "service");
    return [
      section("Scenario", ...objectFields(root, defs, doc, { prefix: "", onChange, errors: problems.byPath, skip: ["nodes", "links", "workload", "faults", "layout", "format", "slos"] })),
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
        "SLOs",
        el("p", { class: "muted", text: "Targets on a run's figures: each run says met or missed, a batch over seeds in how many seeds." }),
        ...slos,
        el("button", { type: "button", id: "btn-add-slo", text: "Add SLO", onclick: () => model.set(`slos[${(doc.slos || []).length}]`, newSlo(doc)) }),
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
        ...objectFields(def, defs, node, { prefix: `nodes[${i}]`, onChange, errors: problems.byPath, skip: ["id", "kind", "operations"] }),
        el("button", { type: "button", class: "danger", text: "Delete", onclick: () => model.remove({ nodes: [node.id] }) }),
      ),
      node.kind === "service" ? operationsView(doc, node, i) : null,
    ];
  }

  /** Operations: each names the outgoing calls it makes (ticked); steps live on the links. */
  function operationsView(doc, node, i) {
    const ops = node.operations || [];
    const calls = doc.links.filter((l) => l.from === node.id && ["sync", "async", "publish", "write"].includes(l.style));
    const prefix = `nodes[${i}].operations`;
    const boxes = ops.map((op, k) =>
      el(
        "fieldset",
        { class: "subtle-box" },
        el("legend", { text: `Operation ${op.id}` }),
        ...objectFields(defs.Operation, defs, op, { prefix: `${prefix}[${k}]`, onChange, errors: problems.byPath, skip: ["calls"] }),
        el("span", { class: "desc", text: "Calls it makes (same step = in parallel):" }),
        ...calls.map((l) => {
          const box = el("input", { type: "checkbox", checked: (op.calls || []).includes(l.id), dataset: { path: `${prefix}[${k}].calls`, call: l.id } });
          box.addEventListener("change", () => {
            const next = calls.filter((c) => (c.id === l.id ? box.checked : (op.calls || []).includes(c.id))).map((c) => c.id);
            onChange(`${prefix}[${k}].calls`, next);
          });
          return el("label", { class: "check" }, box, `${l.id} → ${l.to} (${l.style}, step ${l.step ?? 1})`);
        }),
        el("button", {
          type: "button",
          class: "danger",
          text: "Remove operation",
          onclick: () => onChange(ops.length === 1 ? prefix : `${prefix}[${k}]`, undefined),
        }),
      ),
    );
    // The first is "default": callers that name no operation keep reaching it.
    const taken = new Set(ops.map((o) => o.id));
    let n = ops.length + 1;
    while (taken.has(`op-${n}`)) n += 1;
    const nextId = taken.has("default") || ops.length ? `op-${n}` : "default";
    return section(
      "Operations",
      el("p", { class: "muted", text: ops.length ? "All operations share this service's workers." : "None: one default operation makes every outgoing call." }),
      ...boxes,
      el("button", {
        type: "button",
        text: "Add operation",
        onclick: () => onChange(`${prefix}[${ops.length}]`, { id: nextId, calls: calls.map((l) => l.id) }),
      }),
    );
  }

  function linkView(doc, link) {
    const i = doc.links.indexOf(link);
    const from = model.node(link.from);
    const to = model.node(link.to);
    const styles = Object.entries(LINK_STYLES).filter(([, s]) => from && to && s.from === from.kind && s.to === to.kind);
    const style = el("select", { id: "f-link-style", dataset: { path: `links[${i}].style` } }, styles.map(([name, s]) => el("option", { value: name, text: `${name}: ${s.label}` })));
    style.value = link.style;
    // The server refuses options of another style, so a new style drops them in the same edit.
    style.addEventListener("change", () => {
      const next = { ...link, style: style.value };
      for (const key of Object.keys(OPTION_STYLES)) if (key in next && !OPTION_STYLES[key].includes(style.value)) delete next[key];
      onChange(`links[${i}]`, next);
    });
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
