// This key's past requests (`GET /v1/models/requests/by-endpoint`), a page at a time: open
// one, reuse its settings, or pick 2-4 to compare.

import { api } from "./api.js";
import { formatTime, guard, h, newId } from "./dom.js";
import { billText, failed, renderResult } from "./results.js";

const PAGE = 20;

function statusText(item) {
  if (item.status !== "COMPLETED") return item.status === "IN_QUEUE" ? "queued" : "running";
  if (!failed(item)) return "done";
  return item.status_code === 499 ? "cancelled" : `failed (${item.status_code})`;
}

export class History {
  constructor(app, root) {
    this.app = app;
    this.cursor = null;
    this.list = h("ol", { class: "history-list" });
    this.more = h("button", { type: "button", class: "secondary", hidden: true }, "Load more");
    this.error = h("p", { class: "form-error", role: "alert" });
    this.detail = h("div", { class: "history-detail" });
    this.more.addEventListener("click", guard(() => this.load(false), this.error));
    root.querySelector("#history-refresh").addEventListener("click", guard(() => this.load(true), this.error));
    root.querySelector("#history-body").append(this.error, this.list, this.more, this.detail);
  }

  async load(reset = true) {
    if (reset) this.cursor = null;
    const query = `limit=${PAGE}&expand=payloads&expand=billing${this.cursor ? `&cursor=${encodeURIComponent(this.cursor)}` : ""}`;
    const page = await api(`/v1/models/requests/by-endpoint?${query}`);
    const rows = page.items.map((item) => this.row(item));
    if (reset) this.list.replaceChildren(...rows);
    else this.list.append(...rows);
    if (reset && rows.length === 0) this.list.append(h("li", { class: "empty" }, "No requests yet."));
    this.cursor = page.next_cursor;
    this.more.hidden = !page.has_more;
  }

  row(item) {
    const id = newId("pick");
    const input = item.json_input || {};
    const pick = h("input", {
      type: "checkbox",
      id,
      checked: this.app.isSelected(item.request_id),
      disabled: item.status !== "COMPLETED" || failed(item),
    });
    pick.addEventListener("change", () => {
      pick.checked = this.app.toggleSelected(item);
    });
    const open = () => {
      this.detail.replaceChildren(
        h("h3", {}, `${this.app.titleOf(item.endpoint_id)} · ${item.request_id}`),
        item.status === "COMPLETED" ? renderResult(item, this.app) : h("p", {}, statusText(item)),
      );
      this.detail.scrollIntoView({ block: "nearest" });
    };
    return h(
      "li",
      { class: "history-row", dataset: { requestId: item.request_id, status: item.status } },
      pick,
      h("label", { for: id, class: "visually-hidden" }, `Select ${item.request_id} for compare`),
      h("span", { class: "when" }, formatTime(item.sent_at)),
      h("span", { class: "endpoint" }, this.app.titleOf(item.endpoint_id)),
      h("span", { class: "status" }, statusText(item)),
      h("span", { class: "prompt", title: input.prompt || "" }, input.prompt || "(no input kept)"),
      h("span", { class: "bill" }, failed(item) ? "–" : billText(item, this.app.priceOf(item.endpoint_id))),
      h("button", { type: "button", class: "secondary small", onclick: open }, "Open"),
      h(
        "button",
        { type: "button", class: "secondary small", disabled: !item.json_input, onclick: () => this.app.useSettings(item) },
        "Use these settings",
      ),
    );
  }

  syncSelection() {
    for (const row of this.list.querySelectorAll(".history-row")) {
      const box = row.querySelector("input[type=checkbox]");
      if (box) box.checked = this.app.isSelected(row.dataset.requestId);
    }
  }
}
