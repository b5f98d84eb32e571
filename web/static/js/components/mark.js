// The call as a training example: the head of sales' good/bad mark with a note
// (PUT and DELETE /api/calls/{id}/mark); a manager sees the mark on their call.
import { html, useState } from "../../vendor/htm-preact.mjs";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { Badge, Empty } from "./common.js";
import { Problem, useAction } from "./forms.js";

export function MarkBox({ callId, mark: loaded, editable }) {
  const [mark, setMark] = useState(loaded);
  const [note, setNote] = useState(loaded?.note ?? "");
  const [error, run] = useAction();

  const save = (verdict) => run(async () => {
    if (verdict === null) await api("DELETE", `/calls/${callId}/mark`);
    setMark(verdict === null ? null : await api("PUT", `/calls/${callId}/mark`, { verdict, note }));
  });
  const shown = mark
    ? html`<p data-mark=${mark.verdict}><${Badge} kind=${mark.verdict === "good" ? "pass" : "fail"}>${t(`mark.${mark.verdict}`)}<//>
        ${mark.note && html` ${mark.note}`}</p>`
    : html`<${Empty} text=${t("mark.none")} />`;
  if (!editable) return shown;
  return html`${shown}
    <div class="mark-edit">
      <label>${t("mark.note")}<input value=${note} maxlength="4000" onInput=${(event) => setNote(event.target.value)} /></label>
      <button type="button" onClick=${() => save("good")}>${t("mark.asGood")}</button>
      <button type="button" class="secondary" onClick=${() => save("bad")}>${t("mark.asBad")}</button>
      ${mark && html`<button type="button" class="link" onClick=${() => save(null)}>${t("mark.remove")}</button>`}
    </div>
    <${Problem} error=${error} />`;
}
