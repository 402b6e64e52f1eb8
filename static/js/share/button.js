/**
 * The Share button of the editor and the run view: a panel that makes a read-only link to
 * this scenario or run (optionally expiring, optionally at the replay's current moment),
 * shows it once to copy, and lists this page's links with a Revoke button each.
 */
import { current } from "../current.js";
import { el, replace } from "../dom.js";
import { expiresAt, expirySelect, expiryText, shareUrl, shares } from "./links.js";

const button = document.getElementById("btn-share");

/** `{scenario_id}` or `{run_id}` from this page's address, or null (an unsaved scenario). */
function target() {
  const match = location.pathname.match(/^\/(scenarios|runs)\/([0-9a-f-]{36})\/$/);
  if (!match) return null;
  return match[1] === "runs" ? { run_id: match[2] } : { scenario_id: match[2] };
}

function createPanel() {
  const expiry = expirySelect({ id: "share-expiry" });
  const atMoment = el("input", { type: "checkbox", id: "share-at-moment" });
  const momentRow = el("label", { class: "hidden", for: "share-at-moment" }, atMoment, " open at the replay's current moment");
  const create = el("button", { type: "button", class: "primary", id: "share-create", text: "Create link" });
  const url = el("input", { type: "text", id: "share-url", readonly: true, "aria-label": "Share link" });
  const copy = el("button", { type: "button", id: "share-copy", text: "Copy" });
  const made = el("div", { class: "share-made hidden" }, el("p", { class: "muted", text: "Copy it now: it is shown only once." }), url, copy);
  const status = el("p", { class: "status", id: "share-status", "aria-live": "polite" });
  const list = el("ul", { class: "list", id: "share-list" });
  const panel = el(
    "section",
    { class: "share-panel hidden", id: "share-panel", "aria-label": "Share" },
    el("h3", { text: "Share a read-only link" }),
    el("p", { class: "muted", text: "Anyone with the link can watch, replay, run a copy or fork it; never change yours." }),
    el("label", { for: "share-expiry" }, "Expires ", expiry),
    momentRow,
    create,
    made,
    status,
    el("h4", { text: "Links to this" }),
    list,
    el("a", { href: "/shares/", text: "All your links" }),
  );

  async function refresh() {
    const what = target();
    const query = what.run_id ? `?run_id=${what.run_id}` : `?scenario_id=${what.scenario_id}`;
    const items = await shares.list(query);
    replace(
      list,
      items.length ? null : el("li", { class: "muted", text: "none yet" }),
      items.map((share) =>
        el(
          "li",
          { dataset: { shareId: share.id } },
          el("code", { text: `/s/${share.hint}…` }),
          el("span", { class: "muted", text: expiryText(share) }),
          el("button", {
            type: "button",
            class: "danger",
            text: "Revoke",
            onclick: async () => {
              await shares.revoke(share.id);
              status.textContent = "Revoked: that link no longer opens.";
              refresh();
            },
          }),
        ),
      ),
    );
  }

  create.addEventListener("click", async () => {
    const what = target();
    if (!what) {
      status.textContent = "Save the scenario first.";
      return;
    }
    try {
      const share = await shares.create(what, expiresAt(expiry.value));
      const replay = current.replay;
      url.value = shareUrl(share.url, atMoment.checked && replay ? replay.t : null);
      made.classList.remove("hidden");
      url.select();
      status.textContent = "";
      refresh();
    } catch (err) {
      status.textContent = `Could not share: ${err.message}`;
    }
  });
  copy.addEventListener("click", async () => {
    url.select();
    try {
      await navigator.clipboard.writeText(url.value);
      status.textContent = "Copied.";
    } catch {
      status.textContent = "Press Ctrl+C to copy.";
    }
  });

  return {
    panel,
    open() {
      momentRow.classList.toggle("hidden", !current.replay);
      panel.classList.remove("hidden");
      refresh().catch((err) => {
        status.textContent = `Could not list links: ${err.message}`;
      });
    },
    close() {
      panel.classList.add("hidden");
    },
  };
}

if (button) {
  const ui = createPanel();
  button.closest(".toolbar").after(ui.panel);
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", String(!open));
    if (open) ui.close();
    else ui.open();
  });
}
