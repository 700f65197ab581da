// The request form, built from field descriptions (schema.js). Every control has a <label>
// (or aria-labelledby pointing at one); values() answers only what differs from the
// schema's defaults (plus required fields), which is also what the code snippets show.

import { mediaSrc, upload } from "./api.js";
import { h, newId } from "./dom.js";
import { defaultOf, same } from "./schema.js";

export class FieldInvalid extends Error {
  constructor(name, message) {
    super(`${name}: ${message}`);
    this.field = name;
    this.reason = message;
  }
}

function labelFor(id, field) {
  return h(
    "label",
    { for: id, id: `${id}-label`, class: "label" },
    field.title,
    field.required ? h("span", { class: "required", title: "required" }, " *") : null,
  );
}

function helpFor(id, field) {
  if (!field.description) return null;
  return h(
    "p",
    { class: "help", id: `${id}-help`, onclick: (e) => e.currentTarget.classList.toggle("open") },
    field.description,
  );
}

function row(field, id, control, { label = true } = {}) {
  const error = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
  const el = h(
    "div",
    { class: `field kind-${field.kind}`, dataset: { field: field.name } },
    label ? labelFor(id, field) : null,
    control,
    helpFor(id, field),
    error,
  );
  return {
    el,
    showError(message) {
      error.textContent = message || "";
      error.hidden = !message;
      el.classList.toggle("invalid", Boolean(message));
    },
  };
}

function described(id, field) {
  return field.description ? `${id}-help` : undefined;
}

// -- widgets: {el, get(), set(value), showError(message)} ------------------------------------

function textWidget(field, onChange) {
  const id = newId(`f-${field.name}`);
  const tag = field.kind === "textarea" ? "textarea" : "input";
  const input = h(tag, {
    id,
    name: field.name,
    type: tag === "input" ? "text" : undefined,
    rows: tag === "textarea" ? 3 : undefined,
    "aria-describedby": described(id, field),
    oninput: onChange,
  });
  const r = row(field, id, input);
  return {
    ...r,
    get() {
      const value = input.value;
      if (value === "" && field.nullable) return null;
      if (value === "" && !field.required && field.default === undefined) return undefined;
      return value;
    },
    set(value) {
      input.value = value === null || value === undefined ? "" : String(value);
    },
  };
}

function parseNumber(field, text) {
  if (text.trim() === "") return field.nullable ? null : undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new FieldInvalid(field.name, "not a number");
  return value;
}

function numberWidget(field, onChange) {
  const id = newId(`f-${field.name}`);
  const input = h("input", {
    id,
    name: field.name,
    type: "number",
    step: field.integer ? "1" : "any",
    placeholder: field.nullable ? "random / unset" : undefined,
    "aria-describedby": described(id, field),
    oninput: onChange,
  });
  const r = row(field, id, input);
  return {
    ...r,
    get: () => parseNumber(field, input.value),
    set(value) {
      input.value = value === null || value === undefined ? "" : String(value);
    },
  };
}

function rangeWidget(field, onChange) {
  const id = newId(`f-${field.name}`);
  const slider = h("input", {
    type: "range",
    id: `${id}-slider`,
    min: String(field.min),
    max: String(field.max),
    step: String(field.step),
    "aria-labelledby": `${id}-label`,
  });
  const box = h("input", {
    id,
    name: field.name,
    type: "number",
    min: String(field.min),
    max: String(field.max),
    step: field.integer ? "1" : "any",
    "aria-describedby": described(id, field),
  });
  slider.addEventListener("input", () => {
    box.value = slider.value;
    onChange();
  });
  box.addEventListener("input", () => {
    if (box.value !== "") slider.value = box.value;
    onChange();
  });
  const r = row(field, id, h("div", { class: "range" }, slider, box));
  return {
    ...r,
    get: () => parseNumber(field, box.value),
    set(value) {
      const text = value === null || value === undefined ? "" : String(value);
      box.value = text;
      slider.value = text === "" ? String(field.min) : text;
    },
  };
}

function boolWidget(field, onChange) {
  const id = newId(`f-${field.name}`);
  const input = h("input", {
    id,
    name: field.name,
    type: "checkbox",
    "aria-describedby": described(id, field),
    onchange: onChange,
  });
  const r = row(field, id, input);
  return {
    ...r,
    get: () => input.checked,
    set(value) {
      input.checked = Boolean(value);
    },
  };
}

function selectControl(id, options, field, onChange) {
  const select = h(
    "select",
    { id, name: field.name, "aria-describedby": described(id, field), onchange: onChange },
    options.map(([value, text]) => h("option", { value }, text)),
  );
  return select;
}

function enumWidget(field, onChange) {
  const id = newId(`f-${field.name}`);
  const options = field.options.map((o) => [String(o), String(o)]);
  if (field.nullable) options.unshift(["", "(none)"]);
  const select = selectControl(id, options, field, onChange);
  const r = row(field, id, select);
  return {
    ...r,
    get: () => (select.value === "" && field.nullable ? null : select.value),
    set(value) {
      select.value = value === null || value === undefined ? "" : String(value);
    },
  };
}

const CUSTOM = "__custom__";

function sizeWidget(field, onChange) {
  const id = newId(`f-${field.name}`);
  const options = [...field.presets.map((p) => [p, p]), [CUSTOM, "custom size"]];
  const select = selectControl(id, options, field, () => {
    custom.hidden = select.value !== CUSTOM;
    onChange();
  });
  const dim = (sub) => {
    const subId = `${id}-${sub.name}`;
    const input = h("input", {
      id: subId,
      type: "number",
      min: "1",
      step: "1",
      oninput: onChange,
    });
    return { input, el: h("span", { class: "dim" }, h("label", { for: subId }, sub.title), input) };
  };
  const width = dim(field.width);
  const height = dim(field.height);
  const custom = h("div", { class: "custom-size", hidden: true }, width.el, height.el);
  const r = row(field, id, h("div", { class: "size" }, select, custom));
  return {
    ...r,
    get() {
      if (select.value !== CUSTOM) return select.value;
      return {
        width: parseNumber(field.width, width.input.value),
        height: parseNumber(field.height, height.input.value),
      };
    },
    set(value) {
      const isObject = value && typeof value === "object";
      select.value = isObject ? CUSTOM : String(value ?? field.presets[0]);
      custom.hidden = !isObject;
      width.input.value = String(isObject ? value.width : (field.width.default ?? 512));
      height.input.value = String(isObject ? value.height : (field.height.default ?? 512));
    },
  };
}

function preview(kind, src, name) {
  if (kind === "video") return h("video", { src, controls: true, muted: true, preload: "metadata" });
  if (kind === "audio") return h("audio", { src, controls: true, preload: "metadata" });
  if (kind === "image") return h("img", { src, alt: `preview of ${name}` });
  return h("a", { href: src, target: "_blank", rel: "noopener" }, "open file");
}

function mediaWidget(field, onChange) {
  const id = newId(`f-${field.name.replace(/\W/g, "")}`);
  const fileId = `${id}-file`;
  const status = h("span", { class: "upload-status", role: "status" });
  const shown = h("div", { class: "preview" });
  const input = h("input", {
    id,
    name: field.name,
    type: "text",
    inputmode: "url",
    placeholder: "https://…, data:… or upload a file",
    "aria-describedby": described(id, field),
  });
  const accept = { video: "video/*", image: "image/*", audio: "audio/*" }[field.media];
  const file = h("input", { id: fileId, type: "file", accept, class: "file-input" });
  let shownUrl = null;
  const refresh = async () => {
    const url = input.value.trim();
    if (url === shownUrl) return;
    shownUrl = url;
    shown.replaceChildren();
    if (!url) return;
    const src = await mediaSrc(url);
    if (shownUrl === url) shown.replaceChildren(preview(field.media, src, field.title));
  };
  input.addEventListener("change", refresh);
  input.addEventListener("input", onChange);
  file.addEventListener("change", async () => {
    const chosen = file.files && file.files[0];
    if (!chosen) return;
    status.textContent = `uploading ${chosen.name}…`;
    try {
      input.value = await upload(chosen);
      status.textContent = `uploaded ${chosen.name}`;
      onChange();
      await refresh();
    } catch (error) {
      status.textContent = `upload failed: ${error.message}`;
    }
  });
  const control = h(
    "div",
    { class: `media media-${field.media}` },
    h("div", { class: "media-inputs" }, input, h("label", { for: fileId, class: "button" }, "Upload…"), file),
    status,
    shown,
  );
  const r = row(field, id, control);
  return {
    ...r,
    get() {
      const value = input.value.trim();
      if (value === "") return field.nullable ? null : field.required ? "" : undefined;
      return value;
    },
    set(value) {
      input.value = value === null || value === undefined ? "" : String(value);
      refresh();
    },
  };
}

function jsonWidget(field, onChange) {
  const id = newId(`f-${field.name.replace(/\W/g, "")}`);
  const input = h("textarea", {
    id,
    name: field.name,
    rows: 3,
    class: "json",
    placeholder: "JSON",
    "aria-describedby": described(id, field),
    oninput: onChange,
  });
  const r = row(field, id, input);
  return {
    ...r,
    get() {
      if (input.value.trim() === "") return field.nullable ? null : undefined;
      try {
        return JSON.parse(input.value);
      } catch {
        throw new FieldInvalid(field.name, "not valid JSON");
      }
    },
    set(value) {
      input.value = value === null || value === undefined ? "" : JSON.stringify(value, null, 1);
    },
  };
}

function objectWidget(field, onChange) {
  const id = newId(`f-${field.name.replace(/\W/g, "")}`);
  const sub = new Form(field.fields, onChange, { full: true });
  const group = h("fieldset", { class: "object", "aria-labelledby": `${id}-label` }, sub.el);
  const r = row(field, id, group, { label: false });
  r.el.prepend(h("span", { class: "label", id: `${id}-label` }, field.title));
  return {
    ...r,
    get: () => sub.values(),
    set: (value) => sub.set(value || {}),
  };
}

function listWidget(field, onChange) {
  const id = newId(`f-${field.name.replace(/\W/g, "")}`);
  const items = [];
  const holder = h("div", { class: "list-items" });
  const singular = field.title.replace(/s$/, "");
  const add = h("button", { type: "button", class: "secondary" }, `Add ${singular}`);
  const renumber = () => {
    items.forEach((item, i) => {
      item.legend.textContent = `${singular} ${i + 1}`;
      item.remove.setAttribute("aria-label", `Remove ${singular} ${i + 1}`);
    });
    add.disabled = field.maxItems !== undefined && items.length >= field.maxItems;
  };
  const addItem = (value) => {
    const itemField = { ...field.item, title: singular };
    const legend = h("legend");
    const remove = h("button", { type: "button", class: "secondary small" }, "Remove");
    let widget;
    if (itemField.kind === "object") {
      widget = new Form(itemField.fields, onChange, { full: true });
    } else {
      widget = makeWidget(itemField, onChange);
    }
    const el = h("fieldset", { class: "list-item" }, legend, widget.el, remove);
    const item = { el, legend, remove, widget };
    remove.addEventListener("click", () => {
      items.splice(items.indexOf(item), 1);
      el.remove();
      renumber();
      onChange();
    });
    items.push(item);
    holder.append(el);
    widget.set(value === undefined ? (itemField.kind === "object" ? {} : defaultOf(itemField)) : value);
    renumber();
  };
  add.addEventListener("click", () => {
    addItem(undefined);
    onChange();
  });
  const group = h("div", { class: "list", role: "group", "aria-labelledby": `${id}-label` }, holder, add);
  const r = row(field, id, group, { label: false });
  r.el.prepend(
    h(
      "span",
      { class: "label", id: `${id}-label` },
      field.title,
      field.required ? h("span", { class: "required", title: "required" }, " *") : null,
    ),
  );
  return {
    ...r,
    get: () => items.map((item) => (item.widget.values ? item.widget.values() : item.widget.get())),
    set(value) {
      items.splice(0).forEach((item) => item.el.remove());
      const list = Array.isArray(value) ? value : [];
      list.forEach((v) => addItem(v));
      for (let i = list.length; i < field.minItems; i += 1) addItem(undefined);
      renumber();
    },
  };
}

const WIDGETS = {
  text: textWidget,
  textarea: textWidget,
  number: numberWidget,
  range: rangeWidget,
  bool: boolWidget,
  enum: enumWidget,
  size: sizeWidget,
  media: mediaWidget,
  list: listWidget,
  object: objectWidget,
  json: jsonWidget,
};

function makeWidget(field, onChange) {
  return (WIDGETS[field.kind] || jsonWidget)(field, onChange);
}

/** A form over a list of fields. `full`: values() keeps defaults too (list items, nested
 * objects: explicit is clearer there). */
export class Form {
  constructor(fields, onChange = () => {}, { full = false } = {}) {
    this.fields = fields;
    this.full = full;
    this.widgets = new Map(fields.map((f) => [f.name, makeWidget(f, onChange)]));
    this.el = h(
      "div",
      { class: "fields" },
      [...this.widgets.values()].map((w) => w.el),
    );
    this.set({});
  }

  /** The request body: required fields and every value that differs from its default. */
  values() {
    const out = {};
    for (const field of this.fields) {
      const value = this.widgets.get(field.name).get();
      if (value === undefined) continue;
      if (!this.full && !field.required && same(value, defaultOf(field))) continue;
      out[field.name] = value;
    }
    return out;
  }

  /** Show `values` (missing fields: their defaults), e.g. a past request's input. */
  set(values) {
    for (const field of this.fields) {
      const widget = this.widgets.get(field.name);
      widget.set(field.name in values ? values[field.name] : defaultOf(field));
    }
  }

  field(name) {
    return this.fields.find((f) => f.name === name);
  }

  /** fal's 422 list (`loc: ["body", field, ...]`) shown next to the fields; returns the
   * messages no field owns. */
  showErrors(detail) {
    this.clearErrors();
    const rest = [];
    for (const entry of Array.isArray(detail) ? detail : []) {
      const loc = (entry.loc || []).filter((p) => p !== "body");
      const widget = this.widgets.get(loc[0]);
      if (widget) widget.showError(`${loc.slice(1).join(".")} ${entry.msg}`.trim());
      else rest.push(`${loc.join(".") || "request"}: ${entry.msg}`);
    }
    return rest;
  }

  clearErrors() {
    for (const widget of this.widgets.values()) widget.showError("");
  }
}
