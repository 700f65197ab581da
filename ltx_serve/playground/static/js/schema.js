// Reading fal's per-endpoint OpenAPI document (the server's own, OpenAPI 3.0) into field
// descriptions the form can render. Nothing here knows an endpoint by name: a new endpoint
// with new fields gets a form from the same rules.
//
// The rules follow fal's playground conventions: properties in `x-fal-order-properties`
// order; a `*_url` string (or `ui.field`, or a LoRA's `path`) is media; `ImageSize | enum` is a size picker;
// an enum is a select; a number with both bounds is a slider; a list of objects is a list
// of sub-forms; anything else unknown falls back to a JSON box, so no field is ever lost.

const MEDIA_KINDS = ["video", "image", "audio", "file"];

function lookup(doc, ref) {
  if (!ref.startsWith("#/")) throw new Error(`unsupported $ref ${ref}`);
  return ref
    .slice(2)
    .split("/")
    .reduce((node, part) => node && node[part], doc);
}

/** The schema with `$ref` and one-element `allOf` resolved; the field's own keys (default,
 * description, nullable) win over the referenced schema's. */
export function deref(doc, node) {
  let out = { ...(node || {}) };
  for (let guard = 0; guard < 16; guard += 1) {
    if (out.$ref) {
      const { $ref, ...rest } = out;
      out = { ...lookup(doc, $ref), ...rest };
    } else if (Array.isArray(out.allOf) && out.allOf.length === 1) {
      const { allOf, ...rest } = out;
      const inner = deref(doc, allOf[0]);
      out = { ...inner, ...rest, description: rest.description || inner.description };
    } else {
      return out;
    }
  }
  throw new Error("$ref chain too deep");
}

/** `video_url` -> "Video Url", as pydantic titles fields. */
export function humanize(name) {
  return name
    .replace(/\[\]$/, "")
    .split("_")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(" ");
}

function mediaKind(name, schema) {
  const hint = schema.ui && schema.ui.field;
  if (MEDIA_KINDS.includes(hint)) return hint;
  if (name === "path") return "file"; // fal's LoRA weights `{path, scale}`: a URL to a file
  if (!/_url$/.test(name)) return null;
  return MEDIA_KINDS.find((kind) => name.includes(kind)) || "file";
}

function isSize(variant) {
  const props = variant.properties || {};
  return variant.type === "object" && "width" in props && "height" in props;
}

/** Slider step: whole numbers for integers, else a hundredth of a unit range, a tenth of a
 * range up to 30, whole steps beyond. */
function stepOf(schema) {
  if (schema.type === "integer") return 1;
  const span = schema.maximum - schema.minimum;
  return span <= 2 ? 0.01 : span <= 30 ? 0.1 : 1;
}

/** One field: {name, title, description, required, default, nullable, kind, ...}.
 * `hint` is a name used for media detection of list items (`image_urls` -> `image_url`). */
export function describeField(doc, name, raw, required, hint = name) {
  const schema = deref(doc, raw);
  const field = {
    name,
    // a $ref'd type's title names the type (`VideoQuality`), not the field
    title: (raw && raw.title) || humanize(name),
    description: schema.description || "",
    required,
    default: schema.default,
    nullable: Boolean(schema.nullable),
    schema,
  };
  if (Array.isArray(schema.anyOf)) {
    const variants = schema.anyOf.map((v) => deref(doc, v));
    const size = variants.find(isSize);
    const presets = variants.find((v) => Array.isArray(v.enum));
    if (size && presets && variants.length === 2) {
      const dims = size.properties;
      return {
        ...field,
        kind: "size",
        presets: presets.enum,
        width: describeField(doc, "width", dims.width, true),
        height: describeField(doc, "height", dims.height, true),
      };
    }
    return { ...field, kind: "json" };
  }
  const media = schema.type === "string" && !schema.enum ? mediaKind(hint, schema) : null;
  if (media) return { ...field, kind: "media", media };
  if (Array.isArray(schema.enum)) return { ...field, kind: "enum", options: schema.enum };
  if (schema.type === "boolean") return { ...field, kind: "bool" };
  if (schema.type === "integer" || schema.type === "number") {
    const bounded = Number.isFinite(schema.minimum) && Number.isFinite(schema.maximum);
    if (!bounded) return { ...field, kind: "number", integer: schema.type === "integer" };
    const step = stepOf(schema);
    // OpenAPI 3.0: `exclusiveMinimum: true` modifies `minimum`
    const min = schema.exclusiveMinimum === true ? schema.minimum + step : schema.minimum;
    const max = schema.exclusiveMaximum === true ? schema.maximum - step : schema.maximum;
    return { ...field, kind: "range", min, max, step, integer: schema.type === "integer" };
  }
  if (schema.type === "string") {
    const long = /prompt$/.test(name) || String(schema.default || "").length > 60;
    return { ...field, kind: long ? "textarea" : "text" };
  }
  if (schema.type === "array") {
    const itemHint = hint.replace(/s$/, "");
    const item = describeField(doc, `${name}[]`, schema.items || {}, true, itemHint);
    return { ...field, kind: "list", item, minItems: schema.minItems || 0, maxItems: schema.maxItems };
  }
  if (schema.type === "object" && schema.properties) {
    return { ...field, kind: "object", fields: objectFields(doc, schema) };
  }
  return { ...field, kind: "json" };
}

/** The fields of an object schema, in `x-fal-order-properties` order. */
export function objectFields(doc, schema) {
  const props = schema.properties || {};
  const order = schema["x-fal-order-properties"] || Object.keys(props);
  const required = new Set(schema.required || []);
  const names = [...order, ...Object.keys(props).filter((n) => !order.includes(n))];
  return names.filter((n) => n in props).map((n) => describeField(doc, n, props[n], required.has(n)));
}

/** The Input schema an endpoint's queue document submits (its POST request body). */
export function inputSchema(doc, endpointId) {
  const post = doc.paths[`/${endpointId}`].post;
  return deref(doc, post.requestBody.content["application/json"].schema);
}

/** The value a field has when the caller leaves it out. */
export function defaultOf(field) {
  if (field.default !== undefined) return field.default;
  if (field.nullable) return null;
  if (field.kind === "list") return [];
  return undefined;
}

/** Deep equality of JSON values, key order ignored. */
export function same(a, b) {
  return canonical(a) === canonical(b);
}

export function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value === undefined ? null : value);
}
