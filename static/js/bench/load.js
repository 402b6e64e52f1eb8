/** Loads the bench named by `?bench=` (default `particles`) into static/bench/particles.html. */
const BENCHES = { particles: "./particles-bench.js", replay: "./replay-bench.js" };
const name = new URLSearchParams(location.search).get("bench") || "particles";
document.title = `mscomm ${name} bench`;
await import(BENCHES[name] || BENCHES.particles);
