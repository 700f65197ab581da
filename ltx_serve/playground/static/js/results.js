// One finished request, as the history lists it (`/v1/models/requests/by-endpoint` item with
// payloads and billing): its inputs, control video and result side by side, in step, with the
// seed, timings and what fal would have billed.

import { describeDetail } from "./api.js";
import { h, seconds } from "./dom.js";
import { figure, syncControls } from "./players.js";

/** {units, price, usd}: fal bills its per-megapixel price on the megapixels rounded up. */
export function bill(item, price) {
  const units = item.billable_units;
  if (units === null || units === undefined) return { units: null, price, usd: null };
  return { units, price, usd: price === undefined || price === null ? null : units * price };
}

export function billText(item, price) {
  const b = bill(item, price);
  if (b.units === null) return "–";
  if (b.usd === null) return `${b.units} MP billed; fal publishes no price for this endpoint`;
  return `$${b.usd.toFixed(4)} (${b.units} MP × $${price}/MP)`;
}

export function failed(item) {
  return item.status === "COMPLETED" && item.status_code !== null && item.status_code >= 400;
}

export function errorText(item) {
  const body = item.json_output;
  if (body && typeof body === "object" && "detail" in body) return describeDetail(body.detail, item.status_code);
  return item.error || `HTTP ${item.status_code}`;
}

function fact(term, value) {
  return [h("dt", {}, term), h("dd", {}, value)];
}

function timingsText(timings) {
  const entries = Object.entries(timings || {});
  if (!entries.length) return "–";
  return entries.map(([k, v]) => `${k} ${Number(v).toFixed(2)} s`).join(" · ");
}

/** The players row: each media input the request set, the control video, the result. */
function players(item, app) {
  const input = item.json_input || {};
  const figures = [];
  for (const field of app.mediaFields(item.endpoint_id)) {
    const url = input[field.name];
    if (typeof url === "string" && url && field.media !== "file") {
      figures.push(figure(field.media, url, field.title, { muted: true, role: "input-media" }));
    }
  }
  const control = (item.extras || {}).control_video;
  if (control) {
    const typeField = app.fieldsOf(item.endpoint_id).find((f) => f.name === "control_type");
    const type = input.control_type || (typeField && typeField.default) || "built-in";
    const kind = input.skip_control_preprocess && input.control_video_url ? "from control_video_url" : type;
    figures.push(figure("video", control.url, `Control video (${kind})`, { muted: true, role: "control-video" }));
  }
  const video = item.json_output && item.json_output.video;
  if (video) figures.push(figure("video", video.url, "Result", { role: "result-video" }));
  const videos = figures.map((f) => f.querySelector("video")).filter(Boolean);
  return [
    h("div", { class: "players" }, figures),
    videos.length > 1 ? syncControls(videos, "result") : null,
  ];
}

export function renderResult(item, app) {
  const output = item.json_output || {};
  const video = output.video || {};
  const metrics = item.metrics || {};
  const price = app.priceOf(item.endpoint_id);
  const waited =
    item.started_at && item.sent_at ? (Date.parse(item.started_at) - Date.parse(item.sent_at)) / 1000 : null;
  const facts = failed(item)
    ? [...fact("Error", errorText(item)), ...fact("Status", `${item.status_code} ${item.error_type || ""}`)]
    : [
        ...fact("Seed", output.seed ?? "–"),
        ...fact("Video", video.width ? `${video.width}×${video.height}, ${video.num_frames} frames at ${video.fps} fps (${seconds(video.duration)})` : "–"),
        ...fact("Prompt used", output.prompt ?? "–"),
        ...fact("Queue wait", seconds(waited)),
        ...fact("Inference time", seconds(metrics.inference_time)),
        ...fact("Stages", timingsText((item.extras || {}).timings)),
        ...fact("Megapixels", metrics.megapixels === null || metrics.megapixels === undefined ? "–" : Number(metrics.megapixels).toFixed(3)),
        ...fact("fal bill", billText(item, price)),
      ];
  const selected = app.isSelected(item.request_id);
  const compareButton = h(
    "button",
    { type: "button", class: "secondary", "aria-pressed": String(selected) },
    selected ? "Remove from compare" : "Add to compare",
  );
  compareButton.addEventListener("click", () => {
    const on = app.toggleSelected(item);
    compareButton.setAttribute("aria-pressed", String(on));
    compareButton.textContent = on ? "Remove from compare" : "Add to compare";
  });
  return h(
    "section",
    { class: `result${failed(item) ? " failed" : ""}`, dataset: { requestId: item.request_id } },
    failed(item) ? null : players(item, app),
    h("dl", { class: "facts" }, facts),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "secondary", onclick: () => app.useSettings(item) }, "Use these settings"),
      failed(item) ? null : compareButton,
      video.url ? h("a", { href: video.url, download: video.file_name || "", class: "button secondary" }, "Download") : null,
    ),
  );
}
