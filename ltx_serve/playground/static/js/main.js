// The playground: every endpoint the server lists in /v1/models, each form generated from its
// OpenAPI document; runs, history, compare, sweep and code snippets around it.

import { ApiError, api, getKey, listAll, setKey } from "./api.js";
import { MAX_COMPARE, renderCompare } from "./compare.js";
import { guard, h } from "./dom.js";
import { FieldInvalid, Form } from "./form.js";
import { History } from "./history.js";
import { Run } from "./run.js";
import { inputSchema, objectFields } from "./schema.js";
import { SNIPPETS } from "./snippets.js";

const $ = (selector) => document.querySelector(selector);
const SWEEP_KINDS = ["range", "number", "enum", "bool"];

class App {
  constructor() {
    this.models = new Map(); // endpoint_id -> {entry, doc, fields}
    this.prices = new Map(); // endpoint_id -> USD per megapixel
    this.selected = new Map(); // request_id -> history item, for compare
    this.form = null;
    this.endpointId = null;
    this.notice = $("#notice");
    this.history = new History(this, $("#tab-history"));
  }

  // -- start-up -------------------------------------------------------------------------------

  async boot() {
    this.bindStatic();
    await this.connect();
  }

  async connect() {
    this.notice.textContent = "";
    try {
      const entries = await listAll("/v1/models?expand=openapi-3.0&limit=100", "models");
      const prices = await api("/v1/models/pricing");
      this.prices = new Map(prices.prices.map((p) => [p.endpoint_id, p.unit_price]));
      this.models = new Map(
        entries.map((entry) => {
          const doc = entry.openapi;
          return [entry.endpoint_id, { entry, doc, fields: objectFields(doc, inputSchema(doc, entry.endpoint_id)) }];
        }),
      );
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.notice.textContent = `${error.message} Enter an API key above.`;
        $("#api-key").focus();
        return;
      }
      throw error;
    }
    const select = $("#endpoint");
    select.replaceChildren(
      ...[...this.models.values()].map(({ entry }) =>
        h("option", { value: entry.endpoint_id }, `${entry.metadata.display_name} (${entry.endpoint_id})`),
      ),
    );
    const wanted = new URLSearchParams(location.hash.slice(1)).get("endpoint");
    this.selectEndpoint(this.models.has(wanted) ? wanted : select.options[0]?.value);
    await this.history.load(true);
    document.body.dataset.ready = "true";
  }

  bindStatic() {
    const key = $("#api-key");
    key.value = getKey();
    $("#key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      setKey(key.value.trim());
      guard(() => this.connect(), this.notice)();
    });
    for (const tab of document.querySelectorAll("[role=tab]")) {
      tab.addEventListener("click", () => this.showTab(tab.dataset.tab));
    }
    $("#endpoint").addEventListener("change", (e) => this.selectEndpoint(e.target.value));
    $("#request-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    $("#reset").addEventListener("click", () => {
      this.form.set({});
      this.changed();
    });
    $("#sweep-param").addEventListener("change", () => this.suggestSweep());
    $("#sweep-run").addEventListener("click", guard(() => this.sweep(), $("#sweep-error")));
    $("#code-lang").replaceChildren(
      ...Object.entries(SNIPPETS).map(([value, s]) => h("option", { value }, s.label)),
    );
    $("#code-lang").addEventListener("change", () => this.changed());
    $("#code-copy").addEventListener("click", () => this.copyCode());
    $("#compare-selected").addEventListener("click", () => this.compare([...this.selected.values()]));
    $("#compare-clear").addEventListener("click", () => {
      this.selected.clear();
      this.selectionChanged();
    });
  }

  // -- what the views ask of the app ----------------------------------------------------------

  titleOf(endpointId) {
    const model = this.models.get(endpointId);
    return model ? model.entry.metadata.display_name : endpointId;
  }

  priceOf(endpointId) {
    return this.prices.get(endpointId);
  }

  fieldsOf(endpointId) {
    const model = this.models.get(endpointId);
    return model ? model.fields : [];
  }

  mediaFields(endpointId) {
    return this.fieldsOf(endpointId).filter((f) => f.kind === "media");
  }

  isSelected(requestId) {
    return this.selected.has(requestId);
  }

  /** Returns whether the item is selected now (at most MAX_COMPARE are). */
  toggleSelected(item) {
    if (this.selected.has(item.request_id)) this.selected.delete(item.request_id);
    else if (this.selected.size < MAX_COMPARE) this.selected.set(item.request_id, item);
    else this.notice.textContent = `Compare takes at most ${MAX_COMPARE} results.`;
    this.selectionChanged();
    return this.selected.has(item.request_id);
  }

  selectionChanged() {
    const n = this.selected.size;
    $("#compare-selected").disabled = n < 2;
    $("#compare-selected").textContent = `Compare selected (${n})`;
    this.history.syncSelection();
  }

  finished() {
    guard(() => this.history.load(true), this.notice)();
  }

  showErrors(detail) {
    return this.form.showErrors(detail);
  }

  useSettings(item) {
    if (!this.models.has(item.endpoint_id)) {
      this.notice.textContent = `${item.endpoint_id} is not served here any more.`;
      return;
    }
    this.selectEndpoint(item.endpoint_id);
    this.form.set(item.json_input || {});
    this.changed();
    this.showTab("playground");
    $("#endpoint").focus();
  }

  // -- the form -------------------------------------------------------------------------------

  selectEndpoint(endpointId) {
    const model = this.models.get(endpointId);
    if (!model) return;
    this.endpointId = endpointId;
    $("#endpoint").value = endpointId;
    history.replaceState(null, "", `#endpoint=${encodeURIComponent(endpointId)}`);
    $("#endpoint-description").textContent = model.entry.metadata.description || "";
    const price = this.priceOf(endpointId);
    $("#endpoint-price").textContent =
      price === undefined
        ? "fal publishes no price for this endpoint."
        : `fal's price: $${price} per megapixel of output (width × height × frames), rounded up.`;
    this.form = new Form(model.fields, () => this.changed());
    $("#fields").replaceChildren(this.form.el);
    $("#sweep-param").replaceChildren(
      ...model.fields
        .filter((f) => SWEEP_KINDS.includes(f.kind))
        .map((f) => h("option", { value: f.name }, f.title)),
    );
    this.suggestSweep();
    this.changed();
  }

  /** Current values, or null (with the problem shown at its field). */
  values() {
    this.form.clearErrors();
    $("#form-error").textContent = "";
    try {
      return this.form.values();
    } catch (error) {
      if (!(error instanceof FieldInvalid)) throw error;
      this.form.widgets.get(error.field)?.showError(error.reason);
      return null;
    }
  }

  changed() {
    let input;
    try {
      input = this.form.values();
    } catch {
      return; // a half-typed value: keep the last snippet
    }
    const base = location.origin;
    $("#code-text").value = SNIPPETS[$("#code-lang").value || "curl"].make(base, this.endpointId, input);
  }

  async copyCode() {
    const text = $("#code-text");
    try {
      await navigator.clipboard.writeText(text.value);
      $("#code-copied").textContent = "copied";
    } catch {
      text.select(); // no clipboard access (plain http on another host): select it for Ctrl+C
      $("#code-copied").textContent = "selected: press Ctrl+C";
    }
  }

  addRun(input, label) {
    const run = new Run(this, this.endpointId, input, label);
    $("#runs-list").prepend(run.el);
    $("#runs-empty").hidden = true;
    return run;
  }

  submit() {
    const input = this.values();
    if (input) this.addRun(input);
  }

  // -- sweep ----------------------------------------------------------------------------------

  suggestSweep() {
    const field = this.form.field($("#sweep-param").value);
    let values = [];
    if (!field) values = [];
    else if (field.kind === "enum") values = field.options.slice(0, MAX_COMPARE);
    else if (field.kind === "bool") values = [true, false];
    else if (field.kind === "range") {
      const round = (v) => Number((Math.round(v / field.step) * field.step).toFixed(4));
      values = [field.min, (field.min + field.max) / 2, field.max].map(round);
    } else values = [field.default ?? 0, (field.default ?? 0) + 1];
    $("#sweep-values").value = values.join(", ");
  }

  parseSweep(field) {
    const raw = $("#sweep-values")
      .value.split(",")
      .map((v) => v.trim())
      .filter(Boolean);
    if (raw.length < 2 || raw.length > MAX_COMPARE) {
      throw new Error(`Give 2 to ${MAX_COMPARE} values, separated by commas.`);
    }
    return raw.map((v) => {
      if (field.kind === "bool") return v === "true";
      if (field.kind === "enum") return v;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error(`${v} is not a number`);
      return n;
    });
  }

  /** One job per value, the rest of the form as it is; compare them when all are done. */
  async sweep() {
    const field = this.form.field($("#sweep-param").value);
    if (!field) throw new Error("Pick a parameter to sweep.");
    const base = this.values();
    if (!base) return;
    const runs = this.parseSweep(field).map((value) =>
      this.addRun({ ...base, [field.name]: value }, `sweep ${field.name} = ${JSON.stringify(value)}`),
    );
    const items = await Promise.all(runs.map((run) => run.done));
    const good = items.filter((item) => item && item.json_output && item.json_output.video);
    if (good.length >= 2) this.compare(good);
  }

  // -- tabs and compare -----------------------------------------------------------------------

  showTab(name) {
    for (const tab of document.querySelectorAll("[role=tab]")) {
      const on = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", String(on));
      $(`#tab-${tab.dataset.tab}`).hidden = !on;
    }
    if (name === "history") guard(() => this.history.load(true), this.notice)();
  }

  compare(items) {
    const body = $("#compare-body");
    if (items.length < 2) {
      body.replaceChildren(h("p", {}, "Pick 2 to 4 finished results (in History, or “Add to compare” on a result)."));
    } else {
      body.replaceChildren(renderCompare(items.slice(0, MAX_COMPARE), this));
    }
    this.showTab("compare");
  }
}

const app = new App();
guard(() => app.boot(), $("#notice"))();
