// A table of calls (GET /api/calls items), each row linking to its card.
import { html } from "../../vendor/htm-preact.mjs";
import { duration, t, when } from "../i18n.js";
import { link } from "../router.js";
import { Badge, Empty } from "./common.js";

export function party(call) {
  const number = call.direction === "outbound" ? call.callee_number : call.caller_number;
  return [call.caller_name, number].filter(Boolean).join(" ") || t("popup.withheld");
}

export function CallTable({ calls, showAnswer = true }) {
  if (!calls.length) return html`<${Empty} />`;
  return html`<table class="calls">
    <thead><tr>
      <th scope="col">${t("calls.when")}</th><th scope="col">${t("calls.who")}</th>
      <th scope="col">${t("calls.disposition")}</th>
      ${showAnswer && html`<th scope="col">${t("calls.answeredBy")}</th>`}
      <th scope="col">${t("calls.talk")}</th><th scope="col">${t("calls.score")}</th>
    </tr></thead>
    <tbody>${calls.map((call) => html`<tr key=${call.id}>
      <td><a href=${link(`/calls/${call.id}`)}>${when(call.started_at)}</a></td>
      <td>${party(call)} <small>${t(`direction.${call.direction}`)}</small></td>
      <td><${Badge} kind=${call.disposition}>${t(`disposition.${call.disposition}`)}<//></td>
      ${showAnswer && html`<td>${call.answered_by_extension ?? "—"}</td>`}
      <td>${call.talk_seconds ? duration(call.talk_seconds) : "—"}</td>
      <td>${call.score === null ? "—" : html`<${Badge} kind=${call.score_passed ? "pass" : "fail"}>${Math.round(call.score)}<//>`}</td>
    </tr>`)}</tbody>
  </table>`;
}
