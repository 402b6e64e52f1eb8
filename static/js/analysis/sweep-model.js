/**
 * What a sweep can vary and measure: field paths suggested from a scenario document (any
 * path `patterns.variants.set_param` takes works too), evenly spaced values, and the
 * metrics read from each point's result document.
 */

/** `[{path, label, integer}]`: the fields worth sweeping in `doc`. */
export function sweepParams(doc) {
  const out = [];
  (doc.workload || []).forEach((w, i) => {
    out.push({ path: `workload[${i}].arrival.rate_per_s`, label: `arrival rate of ${w.entry} (req/s)`, integer: false });
  });
  for (const link of doc.links || []) {
    if (link.style !== "sync" && link.style !== "async") continue;
    out.push({ path: `links[${link.id}].timeout_ms`, label: `timeout of ${link.id} (ms)`, integer: false });
    out.push({ path: `links[${link.id}].retries`, label: `retries of ${link.id}`, integer: true });
    out.push({ path: `links[${link.id}].network_ms`, label: `network latency of ${link.id} (ms)`, integer: false });
  }
  for (const node of doc.nodes || []) {
    if (node.kind !== "service") continue;
    out.push({ path: `nodes[${node.id}].instances`, label: `instances of ${node.id}`, integer: true });
    out.push({ path: `nodes[${node.id}].workers`, label: `workers of ${node.id}`, integer: true });
    out.push({ path: `nodes[${node.id}].work_ms`, label: `work time of ${node.id} (ms)`, integer: false });
  }
  return out;
}

/** `points` values from `from` to `to` inclusive, rounded to integers when asked. */
export function spread(from, to, points, integer = false) {
  const n = Math.max(1, Math.floor(points));
  const values = [];
  for (let i = 0; i < n; i += 1) {
    const v = n === 1 ? from : from + ((to - from) * i) / (n - 1);
    values.push(integer ? Math.round(v) : Math.round(v * 1000) / 1000);
  }
  return [...new Set(values)];
}

/**
 * `[{key, stat, label, read(result)}]`: the figures a sweep can plot; `stat` is the
 * figure's dotted key in a batch's `stats` (its summary across seeds).
 */
export function sweepMetrics(doc) {
  const out = [
    { key: "p50", stat: "requests.latency_ms.p50", label: "latency p50 (ms)", read: (r) => r.requests?.latency_ms?.p50 ?? null },
    { key: "p99", stat: "requests.latency_ms.p99", label: "latency p99 (ms)", read: (r) => r.requests?.latency_ms?.p99 ?? null },
    { key: "throughput", stat: "requests.throughput_per_s", label: "throughput (req/s)", read: (r) => r.requests?.throughput_per_s ?? null },
    {
      key: "failure_rate",
      stat: "requests.failure_rate",
      label: "failure rate",
      read: (r) => (r.requests?.started ? r.requests.failed / r.requests.started : null),
    },
  ];
  for (const node of doc.nodes || []) {
    if (node.kind !== "service") continue;
    out.push({ key: `util:${node.id}`, stat: `services.${node.id}.utilization`, label: `utilisation of ${node.id}`, read: (r) => r.services?.[node.id]?.utilization ?? null });
  }
  return out;
}
