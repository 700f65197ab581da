// "Copy as code": the current form as curl, Python fal_client and JS @fal-ai/client code
// pointed at this server, in the redirect forms the README's "Pointing existing fal code at
// ltx-serve" section documents (tests/playground runs what this file writes).

function indent(text, prefix) {
  return text
    .split("\n")
    .map((line, i) => (i === 0 ? line : prefix + line))
    .join("\n");
}

/** A JSON value as a Python literal (JSON strings are valid Python strings). */
export function pythonLiteral(value, depth = 0) {
  const pad = "    ".repeat(depth + 1);
  const end = "    ".repeat(depth);
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "None";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((v) => pad + pythonLiteral(v, depth + 1)).join(",\n")},\n${end}]`;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return "{}";
  const items = keys.map((k) => `${pad}${JSON.stringify(k)}: ${pythonLiteral(value[k], depth + 1)}`);
  return `{\n${items.join(",\n")},\n${end}}`;
}

export function curlSnippet(base, endpointId, input) {
  return `# export FAL_KEY=<your ltx-serve API key>  (any value, or none, when the server has no keys)
LTX=${base}
SUBMIT=$(curl -s -X POST "$LTX/queue/${endpointId}" \\
  -H "Authorization: Key $FAL_KEY" -H "Content-Type: application/json" \\
  --data-binary @- <<'JSON'
${JSON.stringify(input, null, 2)}
JSON
)
STATUS_URL=$(echo "$SUBMIT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status_url"])')
RESPONSE_URL=$(echo "$SUBMIT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["response_url"])')
until curl -s -H "Authorization: Key $FAL_KEY" "$STATUS_URL" | grep -q '"COMPLETED"'; do sleep 1; done
curl -s -H "Authorization: Key $FAL_KEY" "$RESPONSE_URL"
`;
}

export function pythonSnippet(base, endpointId, input) {
  return `# pip install fal-client; export FAL_KEY=<your ltx-serve API key> (any value when the server has no keys)
import fal_client
import fal_client.client as fal_urls

LTX_SERVE = ${JSON.stringify(base)}
fal_urls.RUN_URL_FORMAT = f"{LTX_SERVE}/run/"
fal_urls.QUEUE_URL_FORMAT = f"{LTX_SERVE}/queue/"
fal_urls.REST_URL = f"{LTX_SERVE}/rest"  # uploads: token and fallback
fal_urls.CDN_URL = f"{LTX_SERVE}/cdn"  # uploads: direct

result = fal_client.subscribe(
    ${JSON.stringify(endpointId)},
    arguments=${pythonLiteral(input, 1)},
    with_logs=True,
    on_queue_update=print,
)
print(result["video"]["url"])
`;
}

export function jsSnippet(base, endpointId, input) {
  return `// npm install @fal-ai/client; save as run.mjs; FAL_KEY=<your ltx-serve API key> node run.mjs
import { fal } from "@fal-ai/client";

fal.config({
  proxyUrl: { url: ${JSON.stringify(`${base}/fal/proxy`)}, when: "always" },
  credentials: process.env.FAL_KEY, // optional unless the server has API keys
});

const result = await fal.subscribe(${JSON.stringify(endpointId)}, {
  input: ${indent(JSON.stringify(input, null, 2), "  ")},
  logs: true,
  onQueueUpdate: (update) => console.log(update.status),
});
console.log(result.data.video.url, result.requestId);
`;
}

export const SNIPPETS = {
  curl: { label: "curl", make: curlSnippet },
  python: { label: "Python (fal_client)", make: pythonSnippet },
  js: { label: "JavaScript (@fal-ai/client)", make: jsSnippet },
};
