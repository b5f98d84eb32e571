// The score against the sales script: each item met or missed, with its
// evidence (the quote and the second, which plays from there).
import { html } from "../../vendor/htm-preact.mjs";
import { clock, number, t } from "../i18n.js";
import { Badge } from "./common.js";

function verdict(item) {
  if (item.met === null) return html`<${Badge} kind="na">${t("call.itemNotApplicable")}<//>`;
  return item.met ? html`<${Badge} kind="pass">${t("call.itemMet")}<//>` : html`<${Badge} kind="fail">${t("call.itemMissed")}<//>`;
}

// why an item is (not) met, in the app's language when the score says it as a code (older ones only in English)
function reason(item) {
  if (!item.reason_code) return item.reason;
  const args = Object.fromEntries(Object.entries(item.reason_args ?? {}).map(([name, value]) => [name,
    name === "metric" ? t(`metric.${value}`) : typeof value === "number" ? number(value) : value]));
  return t(`reason.${item.reason_code}`, args);
}

// the quote and its second: a button that plays from there, or just the text where there is no player
function Evidence({ evidence, seek }) {
  const text = evidence.quote
    ? t("call.evidence", { quote: evidence.quote, time: clock(evidence.start) })
    : t("call.evidenceAt", { time: clock(evidence.start) });
  if (!seek) return html`<small class="evidence">${text}</small>`;
  return html`<button type="button" class="evidence link" onClick=${() => seek(evidence.start)} data-second=${evidence.start}>${text}</button>`;
}

// what came nearest to an item not met, or the trigger heard: the quote and its second, playable
function Nearby({ evidence, seek, label }) {
  const text = t(label, { quote: evidence.quote, time: clock(evidence.start),
    share: evidence.similarity === null ? "" : `${Math.round(evidence.similarity * 100)} %` });
  if (!seek) return html`<small class="nearby">${text}</small>`;
  return html`<button type="button" class="nearby link" onClick=${() => seek(evidence.start)} data-second=${evidence.start}>${text}</button>`;
}

// score: a stored score, or a trial's (no version); seek: where there is a player
export function ScoreCard({ score, seek }) {
  return html`<div class="score">
    <p class="total"><strong>${t("call.total", { total: Math.round(score.total) })}</strong>
      <${Badge} kind=${score.passed ? "pass" : "fail"}>${score.passed ? t("call.passed") : t("call.failedScore")}<//>
      <small>${score.script}${score.script_version !== undefined && ` v${score.script_version}`}</small></p>
    <ul class="items">${score.items.map((item) => html`<li key=${item.id} class=${item.met === false ? "missed" : ""} data-item=${item.id}>
      ${verdict(item)} <span class="item-title">${item.title}</span>
      ${item.critical && html` <small>(${t("call.critical")})</small>`}
      ${item.evidence ? html`<${Evidence} evidence=${item.evidence} seek=${seek} />` : html`<small class="reason">${reason(item)}</small>`}
      ${item.closest && html` <${Nearby} evidence=${item.closest} seek=${seek} label="call.closest" />`}
      ${item.trigger && html` <${Nearby} evidence=${item.trigger} seek=${seek} label="call.trigger" />`}
    </li>`)}</ul>
  </div>`;
}
