// The score against the sales script: each item met or missed, with its
// evidence (the quote and the second, which plays from there).
import { html } from "../../vendor/htm-preact.mjs";
import { clock, t } from "../i18n.js";
import { Badge } from "./common.js";

function verdict(item) {
  if (item.met === null) return html`<${Badge} kind="na">${t("call.itemNotApplicable")}<//>`;
  return item.met ? html`<${Badge} kind="pass">${t("call.itemMet")}<//>` : html`<${Badge} kind="fail">${t("call.itemMissed")}<//>`;
}

export function ScoreCard({ score, seek }) {
  return html`<div class="score">
    <p class="total"><strong>${t("call.total", { total: Math.round(score.total) })}</strong>
      <${Badge} kind=${score.passed ? "pass" : "fail"}>${score.passed ? t("call.passed") : t("call.failedScore")}<//>
      <small>${score.script} v${score.script_version}</small></p>
    <ul class="items">${score.items.map((item) => html`<li key=${item.id} class=${item.met === false ? "missed" : ""} data-item=${item.id}>
      ${verdict(item)} <span class="item-title">${item.title}</span>
      ${item.critical && html` <small>(${t("call.critical")})</small>`}
      ${item.evidence
        ? html`<button type="button" class="evidence link" onClick=${() => seek(item.evidence.start)} data-second=${item.evidence.start}>
            ${item.evidence.quote
              ? t("call.evidence", { quote: item.evidence.quote, time: clock(item.evidence.start) })
              : t("call.evidenceAt", { time: clock(item.evidence.start) })}</button>`
        : html`<small class="reason">${item.reason}</small>`}
    </li>`)}</ul>
  </div>`;
}
