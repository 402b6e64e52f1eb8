/**
 * A run's requests and exports (`/runs/<id>/requests/`): a sample of requests (failed and
 * slowest first); picking one shows its path as a waterfall and a Mermaid sequence
 * diagram, with OTLP and Mermaid downloads. The run's scenario, result and topology
 * (PNG from the graph) are exported from here too.
 */
import { api } from "../api.js";
import { el, fmt, replace } from "../dom.js";
import { createGraph } from "../graph/create.js";
import { saveBlob } from "../analysis/download.js";
import { waterfall } from "../analysis/waterfall.js";
import { isFinal } from "../run/states.js";

const $ = (id) => document.getElementById(id);

let mermaidReady = null;
/** mermaid (loaded by a classic script tag) checks the diagram text. */
function mermaid() {
  if (!mermaidReady && window.mermaid) {
    window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
    mermaidReady = window.mermaid;
  }
  return mermaidReady;
}

async function checkMermaid(text) {
  const m = mermaid();
  if (!m) return { ok: false, detail: "mermaid did not load" };
  try {
    await m.parse(text);
    return { ok: true };
  } catch (err) {
    return { ok: false, detail: String(err && err.message ? err.message : err).slice(0, 300) };
  }
}

async function showTrace(runId, corr) {
  const base = `runs/${encodeURIComponent(runId)}/requests/${encodeURIComponent(corr)}`;
  $("trace-title").textContent = `Request ${corr}`;
  replace($("waterfall"), el("p", { class: "muted", text: "rebuilding the request's path…" }));
  const trace = await api(base);
  const summary = `${trace.outcome}${trace.reason ? ` (${trace.reason})` : ""}` + (trace.latency_ms !== null ? ` in ${fmt(trace.latency_ms, 3)} ms` : "") + (trace.truncated ? " · cut short" : "");
  $("trace-summary").textContent = summary;
  replace($("waterfall"), waterfall(trace));
  $("dl-otlp").href = `/api/${base}/otlp`;
  $("dl-mermaid").href = `/api/${base}/mermaid`;
  $("trace-exports").classList.remove("hidden");
  const response = await fetch(`/api/${base}/mermaid`, { credentials: "same-origin" });
  const text = await response.text();
  $("mermaid-text").textContent = text;
  const check = await checkMermaid(text);
  $("mermaid-check").textContent = check.ok ? "valid Mermaid sequence diagram" : `not valid: ${check.detail}`;
  $("mermaid-check").className = `status ${check.ok ? "saved" : "error"}`;
  window.mscommTrace = { corr, trace, mermaid: text, mermaidOk: check.ok };
}

function requestRow(runId, item) {
  const button = el("button", { type: "button", class: "linklike", text: item.corr, dataset: { corr: item.corr } });
  button.addEventListener("click", () => {
    showTrace(runId, item.corr).catch((err) => {
      $("trace-summary").textContent = `could not trace ${item.corr}: ${err.message}`;
    });
  });
  return el(
    "tr",
    { class: `outcome-${item.outcome}` },
    el("td", {}, button),
    el("td", { text: item.entry }),
    el("td", { class: "num", text: fmt(item.t_s, 3) }),
    el("td", { text: item.outcome }),
    el("td", { text: item.reason || "" }),
    el("td", { class: "num", text: item.latency_ms === null ? "–" : fmt(item.latency_ms, 3) }),
  );
}

/** "Compare with…": the caller's other finished runs; picking one opens the comparison. */
async function offerCompare(run) {
  const others = (await api("runs")).filter((r) => r.id !== run.id && isFinal(r.state));
  const select = $("compare-with");
  replace(
    select,
    el("option", { value: "", text: others.length ? "pick a run" : "no other finished run" }),
    others.map((r) => el("option", { value: r.id, text: `${r.scenario_name} · seed ${r.seed} · ${r.state}` })),
  );
  select.addEventListener("change", () => {
    if (select.value) location.assign(`/compare/${encodeURIComponent(run.id)}/${encodeURIComponent(select.value)}/`);
  });
}

async function main() {
  const runId = $("main").dataset.runId;
  const id = encodeURIComponent(runId);
  const [run, snapshot] = await Promise.all([api(`runs/${id}`), api(`runs/${id}/scenario`)]);
  $("req-title").textContent = snapshot.name;
  $("back-run").href = `/runs/${id}/`;
  for (const what of ["scenario.json", "result.json", "result.csv", "timeline.csv"]) {
    $(`dl-${what.replace(".", "-")}`).href = `/api/runs/${id}/export/${what}`;
  }
  offerCompare(run).catch(() => {});
  const cy = createGraph($("graph"), snapshot);
  $("dl-png").addEventListener("click", () => {
    saveBlob(cy.png({ output: "blob", bg: "#ffffff", full: true, scale: 2 }), `topology-${runId}.png`);
  });
  window.mscommRequests = { cy };
  if (!isFinal(run.state)) {
    $("req-status").textContent = `the run is ${run.state}: requests can be traced once it is over`;
    return;
  }
  const body = await api(`runs/${id}/requests?size=50`);
  $("req-status").textContent = `${fmt(body.total)} requests: ${fmt(body.succeeded)} succeeded, ${fmt(body.failed)} failed, ${fmt(body.unfinished)} unfinished. Showing ${body.sample.length}, failed and slowest first.`;
  const head = el("tr", {}, ...["request", "entry", "arrived (s)", "outcome", "reason", "latency (ms)"].map((h) => el("th", { text: h })));
  replace($("requests"), el("table", { class: "requests" }, el("thead", {}, head), el("tbody", {}, body.sample.map((item) => requestRow(runId, item)))));
  if (body.sample.length) await showTrace(runId, body.sample[0].corr);
}

main().catch((err) => {
  const status = document.getElementById("req-status");
  if (status) status.textContent = `could not load the run: ${err.message}`;
  throw err;
});
