// One request through the public queue protocol: submit, the SSE status stream (queue
// position, status, logs, progress), cancel, then the result.

import { ApiError, api, streamStatus } from "./api.js";
import { h } from "./dom.js";
import { errorText, failed, renderResult } from "./results.js";

const STEP = /(?:(\S+): )?step (\d+)\/(\d+)/;
const MAX_LOG_LINES = 300;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Run {
  constructor(app, endpointId, input, label) {
    this.app = app;
    this.endpointId = endpointId;
    this.input = input;
    this.events = 0;
    this.abort = new AbortController();
    this.state = h("span", { class: "state" }, "submitting…");
    this.progress = h("progress", { max: "1", value: "0", "aria-label": "progress" });
    this.stepText = h("span", { class: "step" });
    this.logs = h("ol", { class: "logs", "aria-label": "logs" });
    this.cancelButton = h("button", { type: "button", class: "secondary small", onclick: () => this.cancel() }, "Cancel");
    this.body = h("div", { class: "run-body" });
    this.idText = h("code", { class: "request-id" });
    this.el = h(
      "article",
      { class: "run", dataset: { status: "SUBMITTING", events: "0" } },
      h(
        "header",
        {},
        h("strong", {}, label || app.titleOf(endpointId)),
        this.state,
        this.cancelButton,
      ),
      this.idText,
      h("div", { class: "progress" }, this.progress, this.stepText),
      h("details", { class: "log-box", open: true }, h("summary", {}, "Logs"), this.logs),
      this.body,
    );
    this.done = this.start();
  }

  /** Resolves with the history item of the finished request (null if it never got one);
   * never rejects: a failure is shown on the card. */
  async start() {
    try {
      this.submitted = await api(`/queue/${this.endpointId}`, { method: "POST", body: this.input });
      this.el.dataset.requestId = this.submitted.request_id;
      this.idText.textContent = this.submitted.request_id;
      this.onStatus(this.submitted);
      return await this.follow();
    } catch (error) {
      this.fail(error);
      return null;
    }
  }

  async follow() {
    let last = null;
    for (let attempt = 0; !(last && last.status === "COMPLETED"); attempt += 1) {
      try {
        last = (await streamStatus(this.submitted.status_url, (e) => this.onStatus(e), this.abort.signal)) || last;
      } catch (error) {
        if (attempt >= 5) throw error;
      }
      if (!(last && last.status === "COMPLETED")) await sleep(1000); // stream cut: reconnect
    }
    return this.finish();
  }

  onStatus(event) {
    this.events += 1;
    this.el.dataset.events = String(this.events);
    this.el.dataset.status = event.status;
    if (event.status === "IN_QUEUE") {
      const ahead = event.queue_position || 0;
      this.state.textContent = ahead === 0 ? "in queue: next" : `in queue: ${ahead} ahead`;
    } else if (event.status === "IN_PROGRESS") {
      this.state.textContent = "running";
    }
    for (const log of event.logs || []) {
      this.logs.append(h("li", { class: `level-${(log.level || "").toLowerCase()}` }, log.message));
      const step = STEP.exec(log.message);
      if (step) {
        this.progress.max = Number(step[3]);
        this.progress.value = Number(step[2]);
        this.stepText.textContent = `${step[1] ? `${step[1]}: ` : ""}step ${step[2]}/${step[3]}`;
      }
    }
    while (this.logs.children.length > MAX_LOG_LINES) this.logs.firstChild.remove();
  }

  async cancel() {
    if (!this.submitted) return;
    this.cancelButton.disabled = true;
    try {
      await api(this.submitted.cancel_url, { method: "PUT" });
      this.state.textContent = "cancelling…";
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 400)) this.state.textContent = error.message;
    }
  }

  /** A failed job's body comes from the history (its stored result); a successful one from
   * the result URL, as a fal client reads it. */
  async finish() {
    this.cancelButton.hidden = true;
    const id = this.submitted.request_id;
    const page = await api(
      `/v1/models/requests/by-endpoint?request_id=${encodeURIComponent(id)}&expand=payloads&expand=billing`,
    );
    let item = page.items[0] || { request_id: id, endpoint_id: this.endpointId, status: "COMPLETED", json_input: this.input };
    if (!failed(item)) {
      const output = await api(this.submitted.response_url);
      item = { ...item, json_output: output, status_code: item.status_code ?? 200 };
    }
    this.el.dataset.status = failed(item) ? "FAILED" : "COMPLETED";
    this.state.textContent = failed(item) ? (item.status_code === 499 ? "cancelled" : "failed") : "done";
    if (failed(item) && item.status_code !== 499) this.state.title = errorText(item);
    if (!failed(item)) {
      this.progress.max = 1;
      this.progress.value = 1;
    }
    this.body.replaceChildren(renderResult(item, this.app));
    this.item = item;
    this.app.finished(item);
    return item;
  }

  fail(error) {
    this.el.dataset.status = "FAILED";
    this.cancelButton.hidden = true;
    this.state.textContent = "failed";
    const detail = error instanceof ApiError ? error.detail : null;
    const rest = Array.isArray(detail) && this.app.form ? this.app.showErrors(detail) : [error.message];
    this.body.replaceChildren(h("p", { class: "form-error" }, rest.join("; ") || "see the form"));
  }
}
