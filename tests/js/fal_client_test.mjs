// Drives @fal-ai/client against a live ltx-serve through /fal/proxy (run by
// tests/clients/test_js_client.py). Prints one JSON line with what it observed; any
// failed expectation exits non-zero with the reason on stderr.
import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { fal, ValidationError } from "@fal-ai/client";

const base = process.env.LTX_SERVE_URL;
const videoPath = process.env.INPUT_MP4;
const endpoint = "fal-ai/ltx-2.3-22b/video-to-video";

fal.config({ proxyUrl: { url: `${base}/fal/proxy`, when: "always" } });

const bytes = readFileSync(videoPath);
const videoUrl = await fal.storage.upload(new Blob([bytes], { type: "video/mp4" }));
assert.ok(videoUrl.startsWith(`${base}/files/`), `upload URL ${videoUrl}`);
const roundTrip = Buffer.from(await (await fetch(videoUrl)).arrayBuffer());
assert.ok(roundTrip.equals(bytes), "uploaded bytes differ");

const statuses = [];
const logs = [];
const subscribed = await fal.subscribe(endpoint, {
  input: { prompt: "js subscribe", video_url: videoUrl, num_frames: 9 },
  logs: true,
  onQueueUpdate: (update) => {
    statuses.push(update.status);
    for (const log of update.logs ?? []) logs.push(log.message);
  },
});
assert.equal(subscribed.data.prompt, "js subscribe");
assert.ok(subscribed.requestId, "subscribe returns requestId");

// SSE status stream (mode: "streaming") through the proxy.
const streamed = [];
const streamedResult = await fal.subscribe(endpoint, {
  input: { prompt: "js stream", video_url: videoUrl },
  mode: "streaming",
  logs: true,
  onQueueUpdate: (update) => streamed.push(update.status),
});
assert.equal(streamedResult.data.prompt, "js stream");
assert.equal(streamed.at(-1), "COMPLETED");

const { request_id } = await fal.queue.submit(endpoint, {
  input: { prompt: "js queue", video_url: videoUrl },
});
let status;
do {
  status = await fal.queue.status(endpoint, { requestId: request_id, logs: true });
  await new Promise((r) => setTimeout(r, 100));
} while (status.status !== "COMPLETED");
const result = await fal.queue.result(endpoint, { requestId: request_id });
assert.equal(result.data.prompt, "js queue");
assert.equal(result.requestId, request_id);

const ran = await fal.run(endpoint, { input: { prompt: "js run", video_url: videoUrl } });
assert.equal(ran.data.prompt, "js run");

let validation = null;
try {
  await fal.run(endpoint, { input: { prompt: "no video" } });
} catch (error) {
  validation = error;
}
assert.ok(validation instanceof ValidationError, `expected ValidationError, got ${validation}`);
assert.deepEqual(validation.fieldErrors[0].loc, ["body", "video_url"]);

console.log(
  JSON.stringify({
    videoUrl,
    statuses,
    streamed,
    logs,
    subscribedVideo: subscribed.data.video.url,
    queueStatus: status.status,
    runVideo: ran.data.video.url,
  }),
);
