/**
 * A run's frames over the websocket `/ws/runs/<id>/?since=N` (docs/http-api.md). Reconnects
 * with the last seq it saw, so nothing is missed or repeated; stops once the run is over
 * and every frame has arrived. Emits `frame`, `run`, `error`, `status` (`open`,
 * `closed`, `reconnecting`) and `gone` (why, when the server ended a share link's socket
 * for good: then it does not reconnect).
 */
import { createHub } from "../hub.js";
import { isFinal } from "./states.js";

// Close codes of a share link that stopped working while open (docs/http-api.md).
const GONE = new Map([
  [4410, "This link was revoked: its owner no longer shares this run."],
  [4411, "This link has expired."],
]);

export function createStream(runId, { since = 0, path = null } = {}) {
  const hub = createHub();
  let lastSeq = since;
  let socket = null;
  let closedByUs = false;
  let finished = false;
  let retries = 0;
  let timer = 0;

  function url() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    // `path` reaches the same stream another way (a share link's `/ws/shares/<token>/`).
    const where = path || `/ws/runs/${encodeURIComponent(runId)}/`;
    return `${proto}//${location.host}${where}?since=${lastSeq}`;
  }

  function connect() {
    socket = new WebSocket(url());
    socket.addEventListener("open", () => {
      retries = 0;
      hub.emit("status", "open");
    });
    socket.addEventListener("message", (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      // Several frames at once (a catch-up, or a viewer that fell behind) come as one
      // `frames` message, in order.
      const frames = data.type === "frames" && Array.isArray(data.frames) ? data.frames : data.type === "frame" && data.frame ? [data.frame] : null;
      if (frames) {
        for (const frame of frames) {
          if (!frame || frame.seq <= lastSeq) continue;
          lastSeq = frame.seq;
          hub.emit("frame", frame);
        }
      } else if (data.type === "run" && data.run) {
        if (isFinal(data.run.state)) finished = true;
        hub.emit("run", data.run);
      } else if (data.type === "error") hub.emit("error", data.detail);
    });
    socket.addEventListener("close", (event) => {
      hub.emit("status", "closed");
      if (GONE.has(event.code)) {
        finished = true;
        hub.emit("gone", GONE.get(event.code));
      }
      if (closedByUs || finished) return;
      retries += 1;
      const wait = Math.min(8000, 250 * 2 ** Math.min(retries, 5));
      hub.emit("status", "reconnecting");
      timer = setTimeout(connect, wait);
    });
  }

  return {
    on(name, fn) {
      hub.on(name, fn);
      return this;
    },
    open() {
      closedByUs = false;
      connect();
      return this;
    },
    close() {
      closedByUs = true;
      clearTimeout(timer);
      if (socket) socket.close();
    },
    /** Send a control action (`{action: "pause"}` ...); false when not connected. */
    send(action) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(action));
      return true;
    },
    get lastSeq() {
      return lastSeq;
    },
  };
}
