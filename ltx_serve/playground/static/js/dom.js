// The one DOM helper: h("tag", {attrs, onclick, class, dataset}, ...children).

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (typeof value !== "string" && key in el) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

let counter = 0;

/** A document-unique id (labels point at controls by id). */
export function newId(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** Run an async UI action; a failure is shown in `where` (never an unhandled rejection). */
export function guard(action, where) {
  return async (...args) => {
    try {
      if (where) where.textContent = "";
      await action(...args);
    } catch (error) {
      if (where) where.textContent = error.message || String(error);
      else throw error;
    }
  };
}

export function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

export function seconds(value) {
  return value === null || value === undefined ? "–" : `${Number(value).toFixed(2)} s`;
}
