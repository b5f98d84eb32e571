// Sales scripts (GET/POST/DELETE /api/qa/scripts): the YAML edited in place,
// checked by the API on saving (a new version; every problem listed), tried
// on a real call's transcript first (POST /api/calls/{id}/trial-score, nothing
// stored), and calibrated on the latest calls (POST /api/qa/calibration): each
// item's count and its near misses, any of which becomes a new example in one
// click (POST /api/qa/script-examples); once saved, those calls are re-scored.
import { html, useState } from "../../../vendor/htm-preact.mjs";
import { api } from "../../api.js";
import { Empty, Loaded, Section } from "../../components/common.js";
import { Problem, useAction } from "../../components/forms.js";
import { factLabel } from "../../components/lead.js";
import { ScoreCard } from "../../components/score.js";
import { useApi } from "../../hooks.js";
import { t, when } from "../../i18n.js";
import { link } from "../../router.js";

const YAML = "application/yaml";
const SKELETON = `name: new-script
title: Новый скрипт
applies_to:
  direction: inbound
pass_score: 70
items:
  - id: greeting
    title: Приветствие
    kind: phrase
    weight: 10
    within_first: 15
    examples:
      - Добрый день, компания ..., меня зовут
`;

function Trial({ source, canTry }) {
  const [error, run] = useAction();
  const [trial, setTrial] = useState(null);
  if (!canTry) return html`<p class="hint">${t("scripts.tryNeedsCalls")}</p>`;
  function tryIt(event) {
    event.preventDefault();
    const callId = Number(new FormData(event.target).get("call"));
    setTrial(null);
    return run(async () => setTrial(await api("POST", `/calls/${callId}/trial-score`, source, YAML)));
  }
  return html`<form class="trial" onSubmit=${tryIt}>
    <div class="filters">
      <label>${t("scripts.callNumber")}<input name="call" type="number" min="1" required /></label>
      <button type="submit" class="secondary">${t("scripts.try")}</button>
    </div>
    <${Problem} error=${error} />
    ${trial && html`<div class="trial-result" role="status">
      <p>${t("scripts.triedOn")} <a href=${link(`/calls/${trial.call_id}`)}>${t("call.title", { id: trial.call_id })}</a></p>
      <${ScoreCard} score=${trial} />
      ${trial.lead_card.length > 0 && html`<p>${t("scripts.leadCard")}: ${trial.lead_card.map((fact) => `${factLabel(fact.field)}: ${fact.value}`).join("; ")}</p>`}
    </div>`}
  </form>`;
}

// the editor's text tried on the latest calls; a near miss added to its item's examples in the editor;
// after saving, the calls re-scored with the version just stored
function Calibration({ source, setSource, saved }) {
  const [error, run] = useAction();
  const [result, setResult] = useState(null);
  const [rescored, setRescored] = useState(null);
  function calibrate() {
    setResult(null);
    setRescored(null);
    return run(async () => setResult(await api("POST", "/qa/calibration?calls=30", source, YAML)));
  }
  function adopt(item, candidate) {
    return run(async () => {
      const changed = await api("POST", "/qa/script-examples", { source, item: item.id, example: candidate.quote });
      setSource(changed.source);
    });
  }
  function rescore() {
    return run(async () => {
      const queued = await Promise.all(result.calls.map((id) => api("POST", `/calls/${id}/score`, { script_id: saved.id })));
      setRescored(queued.length);
    });
  }
  return html`<div class="calibration">
    <button type="button" class="secondary" onClick=${calibrate}>${t("scripts.calibrate")}</button>
    <${Problem} error=${error} />
    ${result && html`<div role="status">
      <p>${t("scripts.calibratedOn", { count: result.calls.length })}</p>
      <ul class="calibration-items">${result.items.filter((item) => item.kind !== "metric").map((item) => html`<li key=${item.id} data-item=${item.id}>
        <strong>${item.title || item.id}</strong> ${t("scripts.metOf", { met: item.met, applied: item.applied })}
        ${item.borderline.length > 0 && html`<ul>${item.borderline.map((near) => html`<li key=${`${near.call_id}-${near.start}`}>
          «${near.quote}» <small>(<a href=${link(`/calls/${near.call_id}`)}>${t("call.title", { id: near.call_id })}</a>,
          ${Math.round(near.similarity * 100)} %)</small>
          <button type="button" class="link" onClick=${() => adopt(item, near)}>${t("scripts.adopt")}</button></li>`)}</ul>`}
      </li>`)}</ul>
      ${saved && result.calls.length > 0 && html`<button type="button" class="secondary" onClick=${rescore}>
        ${t("scripts.rescore", { version: saved.version })}</button>`}
      ${rescored !== null && html`<p>${t("scripts.rescored", { count: rescored })}</p>`}
    </div>`}
  </div>`;
}

function Versions({ name, onOpen }) {
  const versions = useApi(`/qa/scripts/${encodeURIComponent(name)}`);
  return html`<details class="versions"><summary>${t("scripts.versions")}</summary>
    <${Loaded} state=${versions}>${({ items }) => html`<ul>${items.map((version) => html`<li key=${version.id}>
      v${version.version} · ${when(version.created_at)} ${version.active && html`<small>(${t("scripts.active")})</small>`}
      <button type="button" class="link" onClick=${() => onOpen(version.source)}>${t("scripts.openVersion")}</button></li>`)}</ul>`}<//>
  </details>`;
}

function ScriptEditor({ script, canTry, onSaved, onClose }) {
  const [source, setSource] = useState(script?.source ?? SKELETON);
  const [error, run] = useAction();
  const [saved, setSaved] = useState(null);
  const shown = saved ?? script; // after saving, the version just stored
  function save() {
    setSaved(null);
    return run(async () => {
      const row = await api("POST", "/qa/scripts", source, YAML);
      setSaved(row);
      onSaved();
    });
  }
  function retire() {
    if (!confirm(t("scripts.confirmRetire", { name: shown.name }))) return;
    run(async () => { await api("DELETE", `/qa/scripts/${encodeURIComponent(shown.name)}`); onClose(); onSaved(); });
  }
  const title = shown ? `${shown.title || shown.name} (${shown.name} v${shown.version})` : t("scripts.new");
  return html`<div class="admin-form script-editor">
    <h3>${title}</h3>
    <label>${t("scripts.yaml")}<textarea class="yaml" rows="24" spellcheck="false" value=${source}
      onInput=${(event) => setSource(event.target.value)}></textarea></label>
    <p class="hint">${t("scripts.hint")}</p>
    <button type="button" onClick=${save}>${t("scripts.save")}</button>
    <button type="button" class="secondary" onClick=${onClose}>${t("admin.close")}</button>
    ${shown && html`<button type="button" class="secondary danger" onClick=${retire}>${t("scripts.retire")}</button>`}
    <${Problem} error=${error} />
    ${saved && html`<p role="status">${t("scripts.saved", { name: saved.name, version: saved.version })}</p>`}
    ${shown && html`<${Versions} key=${shown.id} name=${shown.name} onOpen=${setSource} />`}
    <h4>${t("scripts.tryTitle")}</h4>
    <${Trial} source=${source} canTry=${canTry} />
    ${canTry && html`<h4>${t("scripts.calibrateTitle")}</h4>
      <${Calibration} source=${source} setSource=${setSource} saved=${saved} />`}
  </div>`;
}

export function ScriptsAdmin({ user }) {
  const scripts = useApi("/qa/scripts");
  const [editing, setEditing] = useState(undefined);
  return html`<${Section} title=${t("admin.scripts")} id="scripts-title">
    <${Loaded} state=${scripts}>${({ items }) => html`
      ${editing !== undefined
        ? html`<${ScriptEditor} key=${editing?.id ?? "new"} script=${editing} canTry=${user.role === "rop"}
            onSaved=${scripts.reload} onClose=${() => setEditing(undefined)} />`
        : html`<button type="button" onClick=${() => setEditing(null)}>${t("scripts.add")}</button>`}
      ${items.length ? html`<div class="table-scroll"><table class="admin-table">
        <thead><tr><th scope="col">${t("scripts.title")}</th><th scope="col">${t("scripts.name")}</th>
          <th scope="col">${t("scripts.appliesTo")}</th><th scope="col">${t("scripts.version")}</th><th scope="col"></th></tr></thead>
        <tbody>${items.map((script) => html`<tr key=${script.id} data-script=${script.name}>
          <td>${script.title}</td><td>${script.name}</td>
          <td>${[t(`scripts.direction.${script.direction}`), ...script.dids, ...script.groups].join(", ")}</td>
          <td>v${script.version} · ${when(script.created_at)}</td>
          <td><button type="button" class="secondary small" onClick=${() => setEditing(script)}
            aria-label=${t("admin.editNamed", { name: script.name })}>${t("admin.edit")}</button></td>
        </tr>`)}</tbody></table></div>` : html`<${Empty} text=${t("scripts.none")} />`}`}<//>
  <//>`;
}
