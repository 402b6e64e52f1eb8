/**
 * What an SLO may measure: the figure keys of a scenario's results that the compare
 * table lists (patterns/slos.py checks the same list), for the editor's metric picker.
 */
const REQUESTS = [
  "requests.latency_ms.p99",
  "requests.latency_ms.p95",
  "requests.latency_ms.p90",
  "requests.latency_ms.p50",
  "requests.latency_ms.mean",
  "requests.latency_ms.max",
  "requests.goodput_per_s",
  "requests.throughput_per_s",
  "requests.failure_rate",
  "requests.failed",
  "requests.late",
  "requests.succeeded",
  "requests.unfinished",
  "requests.started",
];
const FAILURES = ["timeout", "refused", "rejected", "bad_response", "circuit_open", "hop_limit", "lost"];
const SERVICE = ["utilization", "blocked_fraction", "queue_wait_ms.p99", "response_ms.p99", "failed"];

/** Every metric an SLO of `doc` may name, the request figures first. */
export function sloMetrics(doc) {
  const services = (doc.nodes || []).filter((n) => n.kind === "service").map((n) => n.id);
  return [
    ...REQUESTS,
    ...FAILURES.map((cause) => `requests.failures.${cause}`),
    ...services.flatMap((id) => SERVICE.map((sub) => `services.${id}.${sub}`)),
  ];
}

/** A new SLO for `doc`, with an id not yet used. */
export function newSlo(doc) {
  const used = new Set((doc.slos || []).map((s) => s.id));
  let n = used.size + 1;
  while (used.has(`slo-${n}`)) n += 1;
  return { id: `slo-${n}`, label: "p99 latency", metric: "requests.latency_ms.p99", op: "<=", target: 500 };
}
