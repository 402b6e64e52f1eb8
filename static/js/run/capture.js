/**
 * Take it with you: the stage (graph, instance drawing, particles, the followed request)
 * as a PNG of this moment or a WebM video of the playback, made in the browser.
 *
 * The stage is several canvases stacked by CSS (cytoscape's layers, the particle layer,
 * the follow layer). `composite(stage, target)` paints them, in their stacking order,
 * into one canvas; a video is that canvas's `captureStream()` fed to a `MediaRecorder`,
 * re-composited every animation frame. Nothing is rendered on the server.
 */
import { saveBlob } from "../analysis/download.js";
import { el } from "../dom.js";

const TYPES = ["video/webm;codecs=vp9", "video/webm;codecs=vp8", "video/webm"];

/** The stage's canvases bottom to top (cytoscape's first, by their z-index, then ours). */
function layers(stage) {
  const all = [...stage.querySelectorAll("canvas")].filter((c) => c.width > 0 && c.height > 0 && getComputedStyle(c).display !== "none");
  return all
    .map((canvas, order) => ({ canvas, order, z: Number.parseInt(getComputedStyle(canvas).zIndex, 10) || 0, graph: Boolean(canvas.closest(".graph")) }))
    .sort((a, b) => (a.graph === b.graph ? a.z - b.z || a.order - b.order : a.graph ? -1 : 1))
    .map((layer) => layer.canvas);
}

/** Paint every layer of `stage` into `target` (resized to the stage at `scale`); returns it. */
export function composite(stage, target = document.createElement("canvas"), { scale = window.devicePixelRatio || 1, background = "#ffffff" } = {}) {
  const box = stage.getBoundingClientRect();
  const w = Math.max(2, Math.round(box.width * scale)) & ~1; // even sizes: video encoders want them
  const h = Math.max(2, Math.round(box.height * scale)) & ~1;
  if (target.width !== w || target.height !== h) {
    target.width = w;
    target.height = h;
  }
  const ctx = target.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.globalAlpha = 1;
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, w, h);
  for (const canvas of layers(stage)) {
    const r = canvas.getBoundingClientRect();
    // A dimmed layer (following a request) is dimmed in the picture too.
    ctx.globalAlpha = Number(getComputedStyle(canvas).opacity) || 1;
    ctx.drawImage(canvas, (r.left - box.left) * scale, (r.top - box.top) * scale, r.width * scale, r.height * scale);
  }
  ctx.globalAlpha = 1;
  return target;
}

/** This moment of `stage` as a PNG Blob. */
export function snapshotPng(stage) {
  const canvas = composite(stage);
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the picture could not be encoded"))), "image/png"));
}

/** The WebM type this browser records, or null when it records none. */
export function videoType() {
  if (typeof MediaRecorder === "undefined") return null;
  return TYPES.find((t) => MediaRecorder.isTypeSupported(t)) || null;
}

/**
 * A recorder of `stage`: `start()`, then `stop()` resolves to the WebM Blob. `fps` is the
 * capture rate; the picture is re-composited on every animation frame meanwhile.
 */
export function createRecorder(stage, { fps = 30, bitsPerSecond = 4_000_000 } = {}) {
  const type = videoType();
  const canvas = document.createElement("canvas");
  let recorder = null;
  let rafId = 0;
  let chunks = [];
  let done = null;

  function paint() {
    composite(stage, canvas, { scale: 1 });
    rafId = requestAnimationFrame(paint);
  }

  return {
    get recording() {
      return recorder !== null && recorder.state === "recording";
    },
    get type() {
      return type;
    },
    start() {
      if (!type) throw new Error("this browser cannot record WebM video");
      if (recorder) return;
      paint();
      const stream = canvas.captureStream(fps);
      recorder = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: bitsPerSecond });
      chunks = [];
      done = new Promise((resolve) => {
        recorder.addEventListener("dataavailable", (e) => e.data.size && chunks.push(e.data));
        recorder.addEventListener("stop", () => {
          cancelAnimationFrame(rafId);
          for (const track of stream.getTracks()) track.stop();
          resolve(new Blob(chunks, { type: "video/webm" }));
        });
      });
      recorder.start(250);
    },
    /** Stop recording; resolves to the video (null when it was not recording). */
    async stop() {
      if (!recorder) return null;
      const finished = done;
      if (recorder.state !== "inactive") recorder.stop();
      recorder = null;
      return finished;
    },
  };
}

/**
 * The "Video" and "PNG" buttons, added to `toolbar`. `name()` names the files; `replay()`
 * gives the page's replay when there is one: a video then plays it from the playhead and
 * ends when it pauses or reaches the end. Without one (live) the video runs until the
 * button is pressed again.
 */
export function mountCapture({ stage, toolbar, name, replay = () => null }) {
  const video = el("button", { type: "button", id: "btn-video", title: "Record the playback as a WebM video", "aria-pressed": "false", text: "Video" });
  const png = el("button", { type: "button", id: "btn-png", title: "Save this moment as a PNG picture", text: "PNG" });
  const status = el("span", { class: "status", id: "capture-status", "aria-live": "polite" });
  toolbar.append(video, png, status);
  const recorder = createRecorder(stage);
  const saved = { video: null, png: null }; // the last files made, for tests
  const hooked = new WeakSet();
  if (!recorder.type) {
    video.disabled = true;
    video.title = "This browser cannot record WebM video";
  }

  async function finish() {
    const blob = await recorder.stop();
    video.textContent = "Video";
    video.setAttribute("aria-pressed", "false");
    if (!blob) return;
    saved.video = blob;
    status.textContent = `video saved (${Math.round(blob.size / 1024)} KB)`;
    saveBlob(blob, `${name()}.webm`);
  }

  video.addEventListener("click", () => {
    if (recorder.recording) {
      finish();
      return;
    }
    try {
      recorder.start();
    } catch (err) {
      status.textContent = err.message;
      return;
    }
    video.textContent = "End video";
    video.setAttribute("aria-pressed", "true");
    status.textContent = "recording…";
    const r = replay();
    if (r) {
      // The replay's own end (or a pause) ends the video.
      if (!hooked.has(r)) {
        hooked.add(r);
        r.on("play", (playing) => {
          if (!playing && recorder.recording) finish();
        });
      }
      if (!r.playing) r.play();
    }
  });
  png.addEventListener("click", async () => {
    const blob = await snapshotPng(stage);
    saved.png = blob;
    status.textContent = "picture saved";
    saveBlob(blob, `${name()}.png`);
  });
  return { recorder, saved };
}
