/**
 * Follow one request: pick it (click a message in flight or an instance on the graph, or
 * choose it from the list), and its correlation id lights up on every hop while the rest
 * of the picture dims; a sequence diagram with one lane per service instance grows beside
 * the graph as the playback clock passes each hop (run/sequence.js). Two breakpoints:
 * pause when this request finishes, and pause at the next timeout, crash or dead letter.
 *
 * It reads the frames the page already has (`observe(frame)`), so it works live, in the
 * replay and on a shared page alike; after a run, `exact(corr)` may supply the request's
 * complete events (GET /api/runs/{id}/requests/{corr}/events: frames can be sampled).
 * It draws on a canvas of its own over the particle layer and dims the rest with CSS and
 * cytoscape classes, so the player's drawing stays untouched. The page supplies the
 * clock: `use({clock, playing, pause})` (live: the player and the pause control; replay:
 * the scrubber), and may tell where instances are drawn (`placeOf`, `cellAt`).
 */
import { MESSAGE_TYPES } from "../graph/palette.js";
import { instanceOf, nodeOf } from "../player/geometry.js";
import { fitCanvas } from "../player/overlay.js";
import { el, replace } from "../dom.js";
import { MESSAGE_KINDS, messageType, sequenceModel, sequenceSvg, shownBy } from "./sequence.js";

/** Trace event kinds and incident kinds (contract of issue 15) the failure breakpoint stops at. */
const ALARM_EVENTS = new Set(["timeout", "crash", "dead_letter"]);
const ALARM_INCIDENTS = new Set(["crash", "timeouts", "timeout", "dead_letter"]);
const MAX_REQUESTS = 20000; // requests kept in memory; the oldest are forgotten first
const LIST_SIZE = 40;
const PICK_RADIUS = 16; // px around a message in flight that a click picks it
const COLORS = Object.fromEntries(MESSAGE_TYPES.map((m) => [m.key, m.color]));

/**
 * Options: `cy`, `stage` (the element holding the graph and the particle canvas),
 * `panel` (an empty element for the controls and the diagram), `doc` (the scenario, for
 * labels), `minTravel` (wall seconds hops are stretched to, as the player does).
 */
export function createFollow({ cy, stage, panel, doc, minTravel = 0.3 }) {
  const byCorr = new Map(); // corr -> events (time order)
  const arrivals = []; // [t, corr, node]
  const alarms = []; // [t, text]
  const outcome = new Map(); // corr -> "succeeded" | "failed"
  const labels = new Map((doc.nodes || []).map((n) => [n.id, n.label || n.id]));
  const exactFor = new Set();
  let source = {
    clock: () => 0,
    playing: () => false,
    pause: () => {},
    speed: () => 1,
    exact: null,
    sample: null,
    // Where the player draws an instance (`order/2` -> {x, y} canvas px, or null) and
    // which instance's box is under a point (-> {node, instance} or null), when it
    // draws instances itself rather than as graph nodes.
    placeOf: null,
    cellAt: null,
  };
  let sample = []; // the run's failed and slowest requests, once over (asked for lazily)
  let sampleAsked = false;
  let corr = null;
  let model = null;
  let shown = -1;
  let lastT = null;
  let rafId = 0;
  let listAt = 0;
  const hits = { finish: 0, failure: 0 };
  let blank = false; // the layer is clear and nothing is followed: skip drawing

  const canvas = el("canvas", { class: "follow-layer", "aria-hidden": "true" });
  stage.append(canvas);
  const ctx = canvas.getContext("2d");
  cy.style()
    .selector(".follow-dim")
    .style({ opacity: 0.25 })
    .selector("node.follow-on")
    .style({ "border-width": 4, "border-color": "#f59e0b" })
    .selector("edge.follow-on")
    .style({ width: 6, "line-color": "#f59e0b", "target-arrow-color": "#f59e0b" })
    .update();

  // The panel: the list, the status line, the breakpoints and the diagram.
  const pick = el("select", { id: "follow-pick", "aria-label": "Request to follow" });
  const clear = el("button", { type: "button", id: "follow-clear", text: "Unfollow", disabled: true });
  const status = el("p", { id: "follow-status", class: "muted", "aria-live": "polite", text: "Click a message on the graph or pick a request here." });
  const bpFinish = el("input", { type: "checkbox", id: "bp-finish" });
  const bpFailure = el("input", { type: "checkbox", id: "bp-failure" });
  const diagram = el("div", { id: "follow-sequence", class: "sequence-box" });
  replace(
    panel,
    el("h3", { text: "Follow a request" }),
    el("div", { class: "follow-row" }, pick, clear),
    status,
    el("label", { for: "bp-finish" }, bpFinish, " Pause when this request finishes"),
    el("label", { for: "bp-failure" }, bpFailure, " Pause at the next timeout, crash or dead letter"),
    diagram,
  );
  // The sample re-runs the run on the server: ask only when someone opens the list.
  pick.addEventListener("focus", () => {
    if (sampleAsked || !source.sample) return;
    sampleAsked = true;
    Promise.resolve(source.sample())
      .then((items) => {
        sample = items || [];
        listAt = 0;
      })
      .catch(() => {});
  });
  pick.addEventListener("change", () => (pick.value ? follow.pick(pick.value) : follow.clear()));
  clear.addEventListener("click", () => follow.clear());
  bpFailure.addEventListener("change", ensureLoop);

  /** A lane's name for people: `Order` and `#2` under it. */
  function laneLabel(name) {
    const node = nodeOf(name);
    const k = instanceOf(name);
    const text = labels.get(node) || node;
    return k === null || Number.isNaN(k) ? text : `${text}\n#${k}`;
  }

  /** Where an endpoint (`order/2`, a topic) is on the canvas: its instance when drawn, else its node. */
  function placeOf(endpoint) {
    const drawn = source.placeOf ? source.placeOf(endpoint) : null;
    if (drawn) return drawn;
    const exact = cy.getElementById(endpoint);
    if (exact.nonempty()) return exact.renderedPosition();
    const node = cy.getElementById(nodeOf(endpoint));
    if (node.empty()) return null;
    const k = instanceOf(endpoint);
    if (k !== null && node.isParent && node.isParent()) {
      const kids = node.children().sort((a, b) => (a.data("index") ?? 0) - (b.data("index") ?? 0));
      const kid = kids[Math.min(k, kids.length - 1)];
      if (kid) return kid.renderedPosition();
    }
    return node.renderedPosition();
  }

  function arriveOf(e) {
    const floor = minTravel * source.speed();
    const arrive = typeof e.arrive_t === "number" ? e.arrive_t : e.t;
    return Math.max(arrive, e.t + floor);
  }

  function remember(e) {
    if (!e.corr) return;
    let list = byCorr.get(e.corr);
    if (!list) {
      list = [];
      byCorr.set(e.corr, list);
      if (byCorr.size > MAX_REQUESTS) {
        const oldest = byCorr.keys().next().value;
        if (oldest !== corr) byCorr.delete(oldest);
      }
    }
    if (exactFor.has(e.corr)) return; // the complete list is in already
    list.push(e);
    if (e.kind === "arrive") arrivals.push([e.t, e.corr, e.node]);
    if (e.kind === "complete") outcome.set(e.corr, "succeeded");
    if (e.kind === "fail") outcome.set(e.corr, "failed");
    if (e.corr === corr) model = null;
  }

  function observe(frame) {
    for (const e of frame.events || []) {
      remember(e);
      if (ALARM_EVENTS.has(e.kind)) alarms.push([e.t, `${e.kind.replace("_", " ")} at ${e.t.toFixed(2)} s`]);
    }
    // A sampled frame may have left the alarm's own event out: its incident (time rounded
    // to the millisecond) stands in. Unsampled, the exact event is there already.
    if (frame.sampled) {
      for (const inc of frame.incidents || []) {
        if (ALARM_INCIDENTS.has(inc.kind)) alarms.push([inc.t, inc.text || inc.kind]);
      }
    }
    if (arrivals.length > MAX_REQUESTS) arrivals.splice(0, arrivals.length - MAX_REQUESTS);
    if (alarms.length > 4 * MAX_REQUESTS) alarms.splice(0, alarms.length - MAX_REQUESTS);
  }

  function currentModel() {
    if (!model && corr) model = sequenceModel(byCorr.get(corr) || [], corr);
    return model;
  }

  /** The message in flight nearest canvas point (x, y) within PICK_RADIUS, as its corr. */
  function corrAt(x, y, now) {
    let best = null;
    let bestD = PICK_RADIUS * PICK_RADIUS;
    for (const [c, list] of byCorr) {
      for (const e of list) {
        if (!MESSAGE_KINDS.has(e.kind) || e.t > now || arriveOf(e) <= now) continue;
        const p = hopAt(e, now);
        if (!p) continue;
        const d = (p.x - x) ** 2 + (p.y - y) ** 2;
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
    }
    return best;
  }

  /** The newest request that reached `endpoint` (an instance or a node) by `now`. */
  function corrAtPlace(node, k, now) {
    let best = null;
    let bestT = -Infinity;
    for (const [c, list] of byCorr) {
      for (const e of list) {
        if (e.t > now || e.t <= bestT) continue;
        const at = MESSAGE_KINDS.has(e.kind) ? e.dst : e.kind === "arrive" ? `${e.node}/${e.instance}` : null;
        if (!at || nodeOf(at) !== node || (k !== null && instanceOf(at) !== k)) continue;
        if (MESSAGE_KINDS.has(e.kind) && arriveOf(e) > now) continue;
        best = c;
        bestT = e.t;
      }
    }
    return best;
  }

  function hopAt(e, now) {
    const a = placeOf(e.src);
    const b = placeOf(e.dst);
    if (!a || !b) return null;
    const t1 = arriveOf(e);
    const u = t1 > e.t ? Math.min(1, Math.max(0, (now - e.t) / (t1 - e.t))) : 1;
    return { x: a.x + (b.x - a.x) * u, y: a.y + (b.y - a.y) * u };
  }

  function highlight(m) {
    cy.batch(() => {
      cy.elements().removeClass("follow-on").addClass("follow-dim");
      const on = new Set();
      for (const lane of m.lanes) on.add(nodeOf(lane));
      for (const id of on) {
        const node = cy.getElementById(id);
        node.removeClass("follow-dim").addClass("follow-on");
        node.children().removeClass("follow-dim");
      }
      for (const a of m.arrows) {
        if (a.link) cy.edges().filter((edge) => edge.data("link") === a.link).removeClass("follow-dim").addClass("follow-on");
      }
    });
  }

  function unhighlight() {
    cy.batch(() => cy.elements().removeClass("follow-dim follow-on"));
  }

  function describe(m, now) {
    const steps = m.arrows.filter((a) => a.t <= now).length;
    const lanes = new Set();
    for (const a of m.arrows) if (a.t <= now) lanes.add(a.from).add(a.to);
    let text = `${m.corr}: ${steps} message${steps === 1 ? "" : "s"} across ${lanes.size} lane${lanes.size === 1 ? "" : "s"}`;
    if (m.end !== null && m.end <= now) text += ` · ${m.outcome} in ${((m.end - m.start) * 1000).toFixed(1)} ms`;
    else text += " · in progress";
    if (!exactFor.has(m.corr)) text += " (from the frames: hops may be sampled out)";
    return text;
  }

  function draw(now) {
    const m = currentModel();
    if (!m && blank) return;
    const [w, h] = fitCanvas(canvas, ctx);
    ctx.clearRect(0, 0, w, h);
    blank = !m;
    if (!m) return;
    const list = byCorr.get(corr) || [];
    // The route so far, then the messages in flight, bright over the dimmed picture.
    ctx.lineWidth = 3;
    ctx.setLineDash([6, 4]);
    for (const e of list) {
      if (!MESSAGE_KINDS.has(e.kind) || e.t > now) continue;
      const a = placeOf(e.src);
      const b = placeOf(e.dst);
      if (!a || !b) continue;
      ctx.strokeStyle = COLORS[messageType(e)] || "#334155";
      ctx.globalAlpha = 0.55;
      ctx.beginPath();
      ctx.moveTo(a.x, a.y);
      ctx.lineTo(b.x, b.y);
      ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
    for (const e of list) {
      if (!MESSAGE_KINDS.has(e.kind) || e.t > now || arriveOf(e) <= now) continue;
      const p = hopAt(e, now);
      if (!p) continue;
      ctx.beginPath();
      ctx.arc(p.x, p.y, 8, 0, 2 * Math.PI);
      ctx.fillStyle = COLORS[messageType(e)] || "#334155";
      ctx.fill();
      ctx.lineWidth = 3;
      ctx.strokeStyle = "#111827";
      ctx.stroke();
      ctx.font = "bold 12px system-ui, sans-serif";
      ctx.fillStyle = "#111827";
      ctx.fillText(corr, p.x + 11, p.y - 9);
    }
  }

  function checkBreakpoints(now) {
    if (lastT === null || now < lastT || !source.playing()) {
      lastT = now;
      return;
    }
    const from = lastT;
    lastT = now;
    const m = currentModel();
    if (bpFinish.checked && m && m.end !== null && m.end > from && m.end <= now) {
      hits.finish += 1;
      status.textContent = `Paused: ${m.corr} ${m.outcome} at ${m.end.toFixed(3)} s.`;
      source.pause(m.end);
      lastT = m.end;
      return;
    }
    if (bpFailure.checked) {
      let first = null;
      for (const alarm of alarms) if (alarm[0] > from && alarm[0] <= now && (!first || alarm[0] < first[0])) first = alarm;
      if (first) {
        hits.failure += 1;
        status.textContent = `Paused at ${first[0].toFixed(3)} s: ${first[1]}`;
        source.pause(first[0]);
        lastT = first[0];
      }
    }
  }

  function refreshList(now, force = false) {
    if (document.activeElement === pick && !force) return; // never change a list the user is reading
    const recent = [];
    for (let i = arrivals.length - 1; i >= 0 && recent.length < LIST_SIZE; i -= 1) {
      if (arrivals[i][0] <= now) recent.push(arrivals[i]);
    }
    const options = [el("option", { value: "", text: recent.length || sample.length ? "— pick a request —" : "— no requests yet —" })];
    const listed = new Set([...recent.map((r) => r[1]), ...sample.map((item) => item.corr)]);
    if (corr && !listed.has(corr)) options.push(el("option", { value: corr, text: corr }));
    if (sample.length) {
      const worst = sample.map((item) => {
        const why = item.reason ? ` (${item.reason})` : "";
        const ms = item.latency_ms === null || item.latency_ms === undefined ? "" : ` · ${Number(item.latency_ms).toFixed(1)} ms`;
        return el("option", { value: item.corr, text: `${item.corr} · ${item.outcome}${why}${ms}` });
      });
      options.push(el("optgroup", { label: "Failed and slowest (whole run)" }, worst));
    }
    const newest = recent.map(([t, c, node]) => {
      const how = outcome.get(c);
      return el("option", { value: c, text: `${c} · ${labels.get(node) || node} · ${t.toFixed(2)} s${how ? ` · ${how}` : ""}` });
    });
    if (sample.length) options.push(el("optgroup", { label: "Newest at the playhead" }, newest));
    else options.push(...newest);
    replace(pick, options);
    pick.value = corr || "";
  }

  function frame() {
    rafId = 0;
    const now = source.clock();
    checkBreakpoints(now);
    draw(now);
    const m = currentModel();
    if (m) {
      const n = shownBy(m, now);
      if (n !== shown) {
        shown = n;
        replace(diagram, sequenceSvg(m, { until: now, label: laneLabel, colors: COLORS }));
        highlight(m);
      }
      // A live region: only a changed sentence is set (and read out).
      const text = status.textContent.startsWith("Paused") && !source.playing() ? status.textContent : describe(m, now);
      if (text !== status.textContent) status.textContent = text;
    }
    const wall = performance.now();
    if (wall - listAt > 700) {
      // listAt 0: the sample just came, show it even while the list has the focus.
      const force = listAt === 0;
      listAt = wall;
      refreshList(now, force);
    }
    ensureLoop();
  }

  function ensureLoop() {
    if (!rafId) rafId = requestAnimationFrame(frame);
  }

  cy.on("tap", (evt) => {
    const now = source.clock();
    const at = evt.renderedPosition || { x: -1e9, y: -1e9 };
    const hit = corrAt(at.x, at.y, now);
    if (hit) {
      follow.pick(hit);
      return;
    }
    // An instance (a worker cell's box) picks the newest request there; a service node
    // stays the inject panel's selection.
    const cell = source.cellAt ? source.cellAt(at.x, at.y) : null;
    if (cell) {
      const found = corrAtPlace(cell.node, cell.instance, now);
      if (found) follow.pick(found);
      return;
    }
    const target = evt.target;
    if (target === cy || !target.isNode()) return;
    // An instance node names its service (`service`, else its compound parent) and its
    // number (`instance`, else `index` within the parent).
    const parent = target.parent && target.parent().nonempty() ? target.parent() : null;
    const node = target.data("service") || (parent ? parent.id() : null);
    const k = target.data("instance") ?? (parent ? target.data("index") : undefined);
    if (node && typeof k === "number") {
      const found = corrAtPlace(node, k, now);
      if (found) follow.pick(found);
    }
  });

  const follow = {
    observe(f) {
      observe(f);
      return follow;
    },
    observeAll(frames) {
      for (const f of frames) observe(f);
      return follow;
    },
    /** Forget every frame seen (a replay is about to feed them again). */
    reset() {
      byCorr.clear();
      arrivals.length = 0;
      alarms.length = 0;
      outcome.clear();
      exactFor.clear();
      model = null;
      shown = -1;
      return follow;
    },
    /** Where the clock comes from: `{clock, playing, pause(t), speed, exact(corr), sample(), placeOf(endpoint), cellAt(x, y)}`. */
    use(options) {
      source = { ...source, ...options };
      lastT = null;
      ensureLoop();
      return follow;
    },
    /** Follow request `corr` (null stops following). */
    pick(value) {
      if (!value) return follow.clear();
      corr = value;
      model = null;
      shown = -1;
      clear.disabled = false;
      stage.classList.add("following");
      refreshList(source.clock());
      if (source.exact && !exactFor.has(value)) {
        Promise.resolve(source.exact(value))
          .then((events) => {
            if (!events || corr !== value) return;
            exactFor.add(value);
            byCorr.set(value, events.slice());
            model = null;
            shown = -1;
          })
          .catch(() => {}); // the frames' events stay: a sampled diagram beats none
      }
      ensureLoop();
      return follow;
    },
    clear() {
      corr = null;
      model = null;
      shown = -1;
      clear.disabled = true;
      stage.classList.remove("following");
      unhighlight();
      replace(diagram);
      status.textContent = "Click a message on the graph or pick a request here.";
      pick.value = "";
      ensureLoop();
      return follow;
    },
    /** For tests: what is followed and drawn now. */
    stats() {
      const m = currentModel();
      const now = source.clock();
      return {
        corr,
        exact: corr ? exactFor.has(corr) : false,
        lanes: m ? m.lanes : [],
        arrows: m ? m.arrows.filter((a) => a.t <= now).length : 0,
        totalArrows: m ? m.arrows.length : 0,
        end: m ? m.end : null,
        outcome: m ? m.outcome : null,
        requests: byCorr.size,
        alarms: alarms.length,
        hits: { ...hits },
        now,
      };
    },
    /** For tests: the canvas position of request `c`'s message in flight now, or null. */
    inFlight(c) {
      const now = source.clock();
      for (const e of byCorr.get(c) || []) {
        if (MESSAGE_KINDS.has(e.kind) && e.t <= now && arriveOf(e) > now) return hopAt(e, now);
      }
      return null;
    },
    /** `succeeded`, `failed` or null (under way, or never seen to end). */
    outcomeOf(c) {
      return outcome.get(c) || null;
    },
    /** For tests: requests with a message in flight now. */
    flying() {
      const now = source.clock();
      const out = [];
      for (const [c, list] of byCorr) if (list.some((e) => MESSAGE_KINDS.has(e.kind) && e.t <= now && arriveOf(e) > now)) out.push(c);
      return out;
    },
  };
  ensureLoop();
  return follow;
}
