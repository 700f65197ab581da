// The server's public API as the page uses it: the key, JSON calls, the SSE status stream,
// uploads through the storage API, and media URLs a <video> can load when keys are on.

const KEY_STORE = "ltx-serve.api-key";

export function getKey() {
  return localStorage.getItem(KEY_STORE) || "";
}

export function setKey(key) {
  if (key) localStorage.setItem(KEY_STORE, key);
  else localStorage.removeItem(KEY_STORE);
}

function authHeaders(extra = {}) {
  const key = getKey();
  return key ? { ...extra, Authorization: `Key ${key}` } : { ...extra };
}

/** A URL the server handed out (status_url, file_url), as a path on this page's origin:
 * the page only ever talks to the server it was loaded from. */
export function local(url) {
  const u = new URL(url, location.href);
  return u.pathname + u.search;
}

export class ApiError extends Error {
  constructor(status, detail) {
    super(describeDetail(detail, status));
    this.status = status;
    this.detail = detail;
  }
}

/** fal's `{detail}` as one line: a string, or the 422 list as "field: message; ...". */
export function describeDetail(detail, status) {
  if (Array.isArray(detail)) {
    return detail
      .map((e) => `${(e.loc || []).filter((p) => p !== "body").join(".") || "request"}: ${e.msg}`)
      .join("; ");
  }
  if (typeof detail === "string" && detail) return detail;
  if (detail && typeof detail === "object") return JSON.stringify(detail);
  return `HTTP ${status}`;
}

async function parse(response) {
  const text = await response.text();
  let data = text;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  if (!response.ok) {
    const detail = data && typeof data === "object" && "detail" in data ? data.detail : data;
    throw new ApiError(response.status, detail);
  }
  return data;
}

export async function api(url, { method = "GET", body, signal } = {}) {
  const json = body !== undefined;
  const response = await fetch(local(url), {
    method,
    signal,
    headers: authHeaders(json ? { "Content-Type": "application/json" } : {}),
    body: json ? JSON.stringify(body) : undefined,
  });
  return parse(response);
}

/** Every page of a fal-style list (`next_cursor`/`has_more`), concatenated under `key`. */
export async function listAll(path, key) {
  const out = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await api(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path);
    out.push(...(page[key] || []));
    cursor = page.has_more ? page.next_cursor : null;
  } while (cursor);
  return out;
}

/** Read `{status_url}/stream?logs=1` (fal's SSE status stream) and call `onEvent` with each
 * status object; resolves with the last one when the server closes the stream. fetch, not
 * EventSource, because EventSource cannot send the Authorization header. */
export async function streamStatus(statusUrl, onEvent, signal) {
  const response = await fetch(`${local(statusUrl)}/stream?logs=1`, {
    headers: authHeaders({ Accept: "text/event-stream" }),
    signal,
  });
  if (!response.ok) await parse(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let last = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer = (buffer + value).replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""))
        .join("\n");
      if (data) {
        last = JSON.parse(data);
        onEvent(last);
      }
    }
  }
  return last;
}

/** Upload a File the way @fal-ai/client does (initiate, then a raw PUT); returns its URL. */
export async function upload(file) {
  const type = file.type || "application/octet-stream";
  const init = await api("/rest/storage/upload/initiate?storage_type=fal-cdn-v3", {
    method: "POST",
    body: { file_name: file.name || "upload", content_type: type },
  });
  const response = await fetch(local(init.upload_url), {
    method: "PUT",
    body: file,
    headers: { "Content-Type": type },
  });
  await parse(response);
  return init.file_url;
}

const blobs = new Map();

/** A `src` for a media URL. With a key set, this server's /files/ URLs need the key, which a
 * <video> cannot send: they are fetched with it and played from a blob URL. */
export async function mediaSrc(url) {
  if (!url || !getKey() || url.startsWith("data:")) return url || "";
  const path = local(url);
  if (!path.startsWith("/files/")) return url;
  if (!blobs.has(path)) {
    blobs.set(
      path,
      fetch(path, { headers: authHeaders() })
        .then(async (response) => (response.ok ? URL.createObjectURL(await response.blob()) : url))
        .catch(() => url),
    );
  }
  return blobs.get(path);
}
