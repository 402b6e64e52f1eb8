/** Every stored frame of a run, page by page (GET /api/runs/{id}/frames?since=N). */
import { api } from "../api.js";

export async function allFrames(runId, { maxPages = 200 } = {}) {
  const frames = [];
  let since = 0;
  for (let page = 0; page < maxPages; page += 1) {
    const body = await api(`runs/${encodeURIComponent(runId)}/frames?since=${since}`);
    frames.push(...body.frames);
    if (body.done || !body.frames.length || body.next <= since) break;
    since = body.next;
  }
  return frames;
}
