// Media players, and one set of controls that plays several videos in step (the result
// beside its reference and control video; 2-4 results in the compare view).

import { mediaSrc } from "./api.js";
import { h, newId } from "./dom.js";

const DRIFT_S = 0.15;

/** A captioned <video> (or <audio>/<img>) for a media URL; `src` resolves asynchronously
 * (a blob URL when the server needs a key for its files). */
export function figure(kind, url, caption, { muted = false, role = "" } = {}) {
  let media;
  if (kind === "image") media = h("img", { alt: caption });
  else if (kind === "audio") media = h("audio", { controls: true, preload: "auto" });
  else media = h("video", { controls: true, playsinline: true, preload: "auto", muted, class: role });
  if (kind !== "image") media.setAttribute("aria-label", caption);
  mediaSrc(url).then((src) => {
    media.src = src;
  });
  return h("figure", { class: `player ${role}` }, media, h("figcaption", {}, caption));
}

function quietly(promise) {
  if (promise && promise.catch) promise.catch(() => {});
}

/** Play / pause / restart / position controls driving every video in `videos` together.
 * The first video leads; the others are nudged back when they drift. */
export function syncControls(videos, name) {
  const lead = videos[0];
  const id = newId("sync");
  const position = h("input", { type: "range", id, min: "0", max: "1000", step: "1", value: "0" });
  const playing = () => !lead.paused;
  const play = () => {
    for (const v of videos) {
      if (v !== lead && Number.isFinite(lead.currentTime)) v.currentTime = Math.min(lead.currentTime, v.duration || 0);
      quietly(v.play());
    }
  };
  const pause = () => videos.forEach((v) => v.pause());
  const restart = () => {
    videos.forEach((v) => {
      v.currentTime = 0;
    });
    play();
  };
  lead.addEventListener("timeupdate", () => {
    if (lead.duration > 0) position.value = String(Math.round((lead.currentTime / lead.duration) * 1000));
    if (!playing()) return;
    for (const v of videos.slice(1)) {
      if (v.duration > lead.currentTime && Math.abs(v.currentTime - lead.currentTime) > DRIFT_S) {
        v.currentTime = lead.currentTime;
      }
    }
  });
  lead.addEventListener("ended", pause);
  position.addEventListener("input", () => {
    const frac = Number(position.value) / 1000;
    videos.forEach((v) => {
      if (v.duration > 0) v.currentTime = frac * v.duration;
    });
  });
  return h(
    "div",
    { class: "sync-controls", role: "group", "aria-label": `${name}: play in step` },
    h("button", { type: "button", class: "secondary", onclick: play }, "Play together"),
    h("button", { type: "button", class: "secondary", onclick: pause }, "Pause"),
    h("button", { type: "button", class: "secondary", onclick: restart }, "Restart"),
    h("label", { for: id }, "Position"),
    position,
  );
}
