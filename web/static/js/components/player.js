// The recording with its waveform (wavesurfer.js on the page's own <audio>,
// so the browser's controls and keyboard work), and the transcript as a
// dialogue that follows it: the line being said is highlighted; clicking a
// line, or any "seek" button elsewhere on the card, plays from that second.
import { html, useEffect, useRef, useState } from "../../vendor/htm-preact.mjs";
import WaveSurfer from "../../vendor/wavesurfer.mjs";
import { clock, t } from "../i18n.js";

export function usePlayer() {
  const audio = useRef(null);
  const [time, setTime] = useState(0);
  const seek = (seconds) => {
    if (!audio.current) return;
    audio.current.currentTime = seconds;
    setTime(seconds);
  };
  return { audio, time, setTime, seek };
}

export function Player({ player, url }) {
  const waveform = useRef(null);
  useEffect(() => {
    const media = player.audio.current;
    const follow = () => player.setTime(media.currentTime);
    media.addEventListener("timeupdate", follow);
    media.addEventListener("seeked", follow);
    const surfer = WaveSurfer.create({
      container: waveform.current, media, height: 64, normalize: true,
      waveColor: "#9bb4d3", progressColor: "#1f5fa8", cursorColor: "#c0392b",
    });
    return () => {
      media.removeEventListener("timeupdate", follow);
      media.removeEventListener("seeked", follow);
      surfer.destroy();
    };
  }, [url]);
  return html`<div class="player">
    <div class="waveform" ref=${waveform} aria-hidden="true"></div>
    <audio ref=${player.audio} src=${url} controls preload="metadata" aria-label=${t("call.recording")}></audio>
  </div>`;
}

export function currentLine(lines, time) {
  let current = -1;
  lines.forEach((line, index) => {
    if (line.start <= time + 0.05) current = index;
  });
  return current >= 0 && time <= lines[current].end + 1.0 ? current : -1;
}

export function Transcript({ lines, player }) {
  const current = currentLine(lines, player.time);
  const list = useRef(null);
  useEffect(() => {
    list.current?.querySelector("[aria-current]")?.scrollIntoView({ block: "nearest" });
  }, [current]);
  return html`<ol class="transcript" ref=${list}>
    ${lines.map((line, index) => html`<li key=${index} class=${`line ${line.speaker}`} aria-current=${index === current ? "true" : undefined}
        data-start=${line.start}>
      <button type="button" class="line-button" onClick=${() => player.seek(line.start)}
          aria-label=${t("call.lineAt", { time: clock(line.start) })}>
        <span class="who">${t(`speaker.${line.speaker}`)} · ${clock(line.start)}</span>
        <span class="said">${line.text}</span>
      </button>
    </li>`)}
  </ol>`;
}
