/** The gallery (`/`): chapter-4 labs with thumbnails, the visitor's scenarios and runs. */
import { api } from "../api.js";
import { el, replace } from "../dom.js";
import { thumbnail } from "../graph/thumb.js";

const $ = (id) => document.getElementById(id);

function status(text, kind = "") {
  $("gallery-status").textContent = text;
  $("gallery-status").className = `status ${kind}`;
}

async function startRun(scenarioId) {
  const run = await api("runs", { method: "POST", body: { scenario_id: scenarioId, seed: null, speed: null, mode: "live" } });
  location.assign(`/runs/${encodeURIComponent(run.id)}/`);
}

/** "Topology of <name>: Order, Payment (services); Placed (topic)." */
export function topologyText(name, doc) {
  const groups = new Map();
  for (const node of doc.nodes || []) {
    const kind = node.kind || "service";
    groups.set(kind, [...(groups.get(kind) || []), node.label || node.id]);
  }
  const parts = [...groups].map(([kind, labels]) => `${labels.join(", ")} (${kind}${labels.length > 1 ? "s" : ""})`);
  const links = (doc.links || []).length;
  return `Topology of ${name}: ${parts.join("; ") || "empty"}; ${links} link${links === 1 ? "" : "s"}.`;
}

function labCard(lab) {
  const picture = el("div", { class: "thumb-box" });
  const open = async (andRun) => {
    try {
      const copy = await api(`library/${encodeURIComponent(lab.slug)}/copy`, { method: "POST" });
      if (andRun) await startRun(copy.id);
      else location.assign(`/scenarios/${encodeURIComponent(copy.id)}/`);
    } catch (err) {
      status(`could not open ${lab.name}: ${err.message}`, "error");
    }
  };
  api(`library/${encodeURIComponent(lab.slug)}`)
    .then((full) => {
      const svg = thumbnail(full.doc);
      // The picture's text alternative: what it draws, in the scenario's own labels.
      svg.setAttribute("aria-label", topologyText(lab.name, full.doc));
      picture.append(svg);
    })
    .catch(() => picture.append(el("p", { class: "muted", text: "no preview" })));
  return el(
    "article",
    { class: "card", dataset: { slug: lab.slug } },
    picture,
    el("h3", { text: lab.name }),
    el("p", { text: lab.summary || "" }),
    lab.description ? el("details", {}, el("summary", { text: "More" }), el("p", { text: lab.description })) : null,
    el(
      "div",
      { class: "actions" },
      el("button", { type: "button", class: "primary", text: "Run it", onclick: () => open(true) }),
      el("button", { type: "button", text: "Open in editor", onclick: () => open(false) }),
    ),
  );
}

async function loadLabs() {
  try {
    const labs = await api("library");
    replace($("labs"), ...labs.map(labCard));
    if (!labs.length) replace($("labs"), el("p", { class: "muted", text: "No labs installed." }));
  } catch (err) {
    replace($("labs"), el("p", { class: "status error", text: `Labs unavailable: ${err.message}` }));
  }
}

async function loadScenarios() {
  const list = $("scenarios");
  try {
    const items = await api("scenarios");
    if (!items.length) return replace(list, el("li", { class: "muted", text: "Nothing yet: open a lab or start a new scenario." }));
    replace(
      list,
      ...items.map((s) =>
        el(
          "li",
          { dataset: { id: s.id } },
          el("a", { href: `/scenarios/${encodeURIComponent(s.id)}/`, text: s.name }),
          el("span", { class: "muted", text: `v${s.version} · ${new Date(s.updated_at).toLocaleString()}` }),
          el("button", { type: "button", text: "Run", onclick: () => startRun(s.id).catch((e) => status(e.message, "error")) }),
          el("button", {
            type: "button",
            class: "danger",
            text: "Delete",
            onclick: async () => {
              if (!window.confirm(`Delete “${s.name}”?`)) return;
              await api(`scenarios/${encodeURIComponent(s.id)}`, { method: "DELETE" });
              loadScenarios();
            },
          }),
        ),
      ),
    );
  } catch (err) {
    replace(list, el("li", { class: "status error", text: `Scenarios unavailable: ${err.message}` }));
  }
}

async function loadRuns() {
  const list = $("runs");
  try {
    const runs = await api("runs");
    if (!runs.length) return replace(list, el("li", { class: "muted", text: "No runs yet." }));
    replace(
      list,
      ...runs.slice(0, 30).map((r) =>
        el(
          "li",
          {},
          el("a", { href: `/runs/${encodeURIComponent(r.id)}/`, text: r.scenario_name || r.id }),
          el("span", { class: `badge ${r.state}`, text: r.state }),
          el("span", { class: "muted", text: `seed ${r.seed ?? "–"} · ${new Date(r.created_at).toLocaleString()}` }),
        ),
      ),
    );
  } catch (err) {
    replace(list, el("li", { class: "status error", text: `Runs unavailable: ${err.message}` }));
  }
}

$("import-file").addEventListener("change", async (evt) => {
  const file = evt.target.files[0];
  if (!file) return;
  try {
    const doc = JSON.parse(await file.text());
    const created = await api("scenarios/import", { method: "POST", body: doc });
    location.assign(`/scenarios/${encodeURIComponent(created.id)}/`);
  } catch (err) {
    const problems = err.problems && err.problems.length ? `: ${err.problems.map((p) => `${p.loc}: ${p.msg}`).join("; ")}` : "";
    status(`import failed (${err.message})${problems}`, "error");
  }
});

loadLabs();
loadScenarios();
loadRuns();
