// 2-4 results side by side, playing in step, with the parameters that differ highlighted.

import { h } from "./dom.js";
import { figure, syncControls } from "./players.js";
import { billText } from "./results.js";
import { canonical, defaultOf } from "./schema.js";

export const MAX_COMPARE = 4;

function shown(value) {
  if (value === undefined) return "–";
  if (typeof value === "string") return value.startsWith("data:") ? "(inline data)" : value;
  return JSON.stringify(value);
}

/** Each parameter's value per item: the request's own, or the endpoint's default (marked). */
function parameterRows(items, app) {
  const names = [];
  for (const item of items) {
    for (const field of app.fieldsOf(item.endpoint_id)) if (!names.includes(field.name)) names.push(field.name);
    for (const name of Object.keys(item.json_input || {})) if (!names.includes(name)) names.push(name);
  }
  return names.map((name) => {
    const cells = items.map((item) => {
      const input = item.json_input || {};
      if (name in input) return { value: input[name], given: true };
      const field = app.fieldsOf(item.endpoint_id).find((f) => f.name === name);
      return { value: field ? defaultOf(field) : undefined, given: false };
    });
    return { name, cells };
  });
}

/** What each request was and made; only `endpoint` and `seed used` count as settings. */
function outcomeRows(items, app) {
  const out = (fn) => items.map((item) => ({ value: fn(item), given: true }));
  return [
    { name: "endpoint", cells: out((i) => i.endpoint_id) },
    { name: "seed used", cells: out((i) => (i.json_output || {}).seed) },
    { name: "inference time (s)", outcome: true, cells: out((i) => Number(((i.metrics || {}).inference_time || 0).toFixed(2))) },
    { name: "fal bill", outcome: true, cells: out((i) => billText(i, app.priceOf(i.endpoint_id))) },
  ];
}

function tableRow({ name, cells, outcome = false }) {
  const differs = !outcome && new Set(cells.map((c) => canonical(c.value))).size > 1;
  return h(
    "tr",
    { class: differs ? "differs" : outcome ? "outcome" : "", dataset: { param: name } },
    h("th", { scope: "row" }, name),
    cells.map((c) => h("td", { class: c.given ? "" : "default" }, shown(c.value), c.given ? "" : " (default)")),
  );
}

export function renderCompare(items, app) {
  const figures = items.map((item, i) =>
    figure("video", item.json_output.video.url, `#${i + 1} · ${item.request_id.slice(0, 8)}`, {
      muted: i > 0,
      role: "compare-video",
    }),
  );
  const videos = figures.map((f) => f.querySelector("video"));
  const rows = [...outcomeRows(items, app), ...parameterRows(items, app)].map(tableRow);
  const differing = rows.filter((r) => r.classList.contains("differs"));
  const onlyId = "compare-only-differences";
  const table = h(
    "table",
    { class: "compare-table" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "parameter"), items.map((_, i) => h("th", { scope: "col" }, `#${i + 1}`)))),
    h("tbody", {}, rows),
  );
  const only = h("input", { type: "checkbox", id: onlyId });
  only.addEventListener("change", () => table.classList.toggle("only-differences", only.checked));
  return h(
    "div",
    { class: "compare", dataset: { count: String(items.length) } },
    h("div", { class: `compare-grid n${items.length}` }, figures),
    syncControls(videos, "compare"),
    h(
      "p",
      { class: "compare-summary" },
      differing.length
        ? `${differing.length} setting${differing.length > 1 ? "s" : ""} differ: ${differing.map((r) => r.dataset.param).join(", ")}`
        : "No settings differ.",
    ),
    h("p", {}, only, h("label", { for: onlyId }, " Show only what differs")),
    table,
  );
}
