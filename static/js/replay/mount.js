/**
 * Replace a page's live view with the replay of a finished run: load its frames, put the
 * scrubber in `container`, and open at the URL's playhead (else at `startAt`, else the end).
 * Resolves to the replay (null when the run stored no frames). Published as
 * `current.replay` (current.js) and `window.mscommReplay` for tests.
 */
import { current } from "../current.js";
import { el, replace } from "../dom.js";
import { loadFrames } from "./frames.js";
import { playheadFrom, playheadUrl } from "./playhead.js";
import { createReplay } from "./replay.js";
import { createScrubber } from "./scrubber.js";

export async function mountReplay({ cy, canvas, container, fetchPage, speed, endS, startAt = null, play = false }) {
  container.classList.remove("hidden");
  const note = el("span", { class: "muted", text: "Loading the run's frames…" });
  replace(container, note);
  const index = await loadFrames(fetchPage, {
    onProgress: (n) => {
      note.textContent = `Loading the run's frames… ${n}`;
    },
  });
  if (!index.length) {
    note.textContent = "This run stored no frames to replay.";
    return null;
  }
  const replay = createReplay({ cy, canvas, index, speed });
  createScrubber(container, replay, {
    endS: Math.max(endS || 0, index.endT),
    // Resting on a moment puts it in the address bar, so copying the URL shares it.
    onSettle: (t) => history.replaceState(history.state, "", playheadUrl(t)),
  });
  window.mscommReplay = replay; // a test hook; modules use current.js
  current.setReplay(replay);
  const at = playheadFrom();
  if (at !== null) replay.seek(at);
  else if (startAt !== null) replay.seek(startAt);
  else replay.seekIndex(index.length - 1);
  if (play) replay.play();
  // A playhead typed into the address bar (or a link to this page at another moment).
  window.addEventListener("hashchange", () => {
    const t = playheadFrom();
    if (t !== null) replay.seek(t);
  });
  return replay;
}
