/** The owner's share links (`/shares/`): what each shows, change its expiry, revoke it. */
import { el, replace } from "../dom.js";
import { expiresAt, expirySelect, expiryText, shares } from "../share/links.js";

const $ = (id) => document.getElementById(id);

function status(text, kind = "") {
  $("shares-status").textContent = text;
  $("shares-status").className = `status ${kind}`;
}

function row(share) {
  const href = share.kind === "run" ? `/runs/${share.run_id}/` : `/scenarios/${share.scenario_id}/`;
  const expiry = expirySelect({ "aria-label": "Change expiry" });
  expiry.prepend(el("option", { value: "keep", text: `keep: ${expiryText(share)}` }));
  expiry.value = "keep";
  expiry.addEventListener("change", async () => {
    if (expiry.value === "keep") return;
    try {
      await shares.expire(share.id, expiresAt(expiry.value));
      status("Expiry changed.", "saved");
      load();
    } catch (err) {
      status(`Could not change it: ${err.message}`, "error");
    }
  });
  return el(
    "tr",
    { dataset: { shareId: share.id } },
    el("td", {}, el("a", { href, text: share.name }), ` (${share.kind})`),
    el("td", {}, el("code", { text: `/s/${share.hint}…` })),
    el("td", { text: new Date(share.created_at).toLocaleString() }),
    el("td", {}, expiry),
    el(
      "td",
      {},
      el("button", {
        type: "button",
        class: "danger",
        text: "Revoke",
        onclick: async () => {
          try {
            await shares.revoke(share.id);
            status("Revoked: that link no longer opens.", "saved");
            load();
          } catch (err) {
            status(`Could not revoke it: ${err.message}`, "error");
          }
        },
      }),
    ),
  );
}

async function load() {
  try {
    const items = await shares.list();
    replace($("shares").querySelector("tbody"), items.map(row));
    $("shares-empty").classList.toggle("hidden", items.length > 0);
  } catch (err) {
    status(`Could not load your links: ${err.message}`, "error");
  }
}

load();
