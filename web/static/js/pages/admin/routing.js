// Routing rules per dialled number (GET/POST/PATCH/DELETE /api/routing-rules):
// the marketing source its callers are counted under, its fallback chain, and
// a chain per IVR choice.
import { html, useState } from "../../../vendor/htm-preact.mjs";
import { api } from "../../api.js";
import { ChainEditor, EMPTY_CHAIN, chainText } from "../../components/chain.js";
import { Empty, Loaded, Section } from "../../components/common.js";
import { EditorSlot, Problem, useAction, useEditing } from "../../components/forms.js";
import { useApi } from "../../hooks.js";
import { t } from "../../i18n.js";

const NEW_RULE = { did: "", name: "", source: null, chain: EMPTY_CHAIN, ivr: {}, active: true };

function IvrChoices({ choices, groups, onChange }) {
  const update = (index, change) => onChange(choices.map((choice, at) => (at === index ? { ...choice, ...change } : choice)));
  return html`<fieldset class="ivr"><legend>${t("rules.ivr")}</legend>
    ${choices.map((choice, index) => html`<div class="ivr-choice" key=${index}>
      <label>${t("rules.digit")}<input value=${choice.digit} required pattern="[0-9*#]{1,4}"
        onInput=${(event) => update(index, { digit: event.target.value.trim() })} /></label>
      <${ChainEditor} legend=${t("rules.ivrChain", { digit: choice.digit })} chain=${choice.chain} groups=${groups}
        onChange=${(chain) => update(index, { chain })} />
      <button type="button" class="secondary small" onClick=${() => onChange(choices.filter((_, at) => at !== index))}>
        ${t("rules.removeChoice", { digit: choice.digit })}</button>
    </div>`)}
    <button type="button" class="secondary small" onClick=${() => onChange([...choices, { digit: "", chain: EMPTY_CHAIN }])}>
      ${t("rules.addChoice")}</button>
  </fieldset>`;
}

function RuleForm({ item: rule, groups, onSaved, onCancel }) {
  const [error, run] = useAction();
  const fresh = rule === null;
  const start = rule ?? NEW_RULE;
  const [chain, setChain] = useState(start.chain);
  const [choices, setChoices] = useState(() => Object.entries(start.ivr).map(([digit, choice]) => ({ digit, chain: choice })));
  function save(event) {
    event.preventDefault();
    const data = new FormData(event.target);
    const body = {
      did: data.get("did"), name: data.get("name"), source: data.get("source").trim() || null,
      active: data.has("active"), chain, ivr: Object.fromEntries(choices.map((choice) => [choice.digit, choice.chain])),
    };
    return run(async () => {
      await (fresh ? api("POST", "/routing-rules", body) : api("PATCH", `/routing-rules/${rule.id}`, body));
      onSaved();
    });
  }
  function remove() {
    if (!confirm(t("rules.confirmDelete", { did: rule.did }))) return;
    run(async () => { await api("DELETE", `/routing-rules/${rule.id}`); onSaved(); });
  }
  const title = fresh ? t("rules.new") : t("rules.named", { did: rule.did });
  return html`<form class="admin-form" onSubmit=${save} aria-label=${title}>
    <h3>${title}</h3>
    <div class="filters">
      <label>${t("rules.did")}<input name="did" required pattern="\\*|\\+?[0-9]{1,39}" defaultValue=${start.did} /></label>
      <label>${t("rules.name")}<input name="name" maxlength="200" defaultValue=${start.name} /></label>
      <label>${t("rules.source")}<input name="source" maxlength="80" defaultValue=${start.source ?? ""} /></label>
    </div>
    <p class="hint">${t("rules.didHint")}</p>
    <label><input type="checkbox" name="active" defaultChecked=${start.active} /> ${t("rules.active")}</label>
    <${ChainEditor} legend=${t("rules.chain")} chain=${chain} groups=${groups} onChange=${setChain} />
    <${IvrChoices} choices=${choices} groups=${groups} onChange=${setChoices} />
    <button type="submit">${t("admin.save")}</button>
    <button type="button" class="secondary" onClick=${onCancel}>${t("admin.cancel")}</button>
    ${!fresh && html`<button type="button" class="secondary danger" onClick=${remove}>${t("rules.delete")}</button>`}
    <${Problem} error=${error} />
  </form>`;
}

export function RoutingAdmin() {
  const rules = useApi("/routing-rules");
  const groups = useApi("/groups");
  const editor = useEditing(rules.reload);
  return html`<${Section} title=${t("admin.routing")} id="routing-title">
    <${Loaded} state=${groups}>${({ items: groupList }) => html`<${Loaded} state=${rules}>${({ items }) => html`
      <${EditorSlot} editor=${editor} addLabel=${t("rules.add")} Form=${RuleForm} groups=${groupList} />
      ${items.length ? html`<div class="table-scroll"><table class="admin-table">
        <thead><tr><th scope="col">${t("rules.did")}</th><th scope="col">${t("rules.name")}</th>
          <th scope="col">${t("rules.source")}</th><th scope="col">${t("rules.chain")}</th><th scope="col"></th></tr></thead>
        <tbody>${items.map((rule) => html`<tr key=${rule.id} data-rule=${rule.id} class=${rule.active ? "" : "inactive"}>
          <td>${rule.did}${!rule.active && html` <small>(${t("rules.inactive")})</small>`}</td><td>${rule.name}</td><td>${rule.source ?? ""}</td>
          <td><small>${chainText(rule.chain)}</small>
            ${Object.entries(rule.ivr).map(([digit, chain]) => html`<br /><small>${digit}: ${chainText(chain)}</small>`)}</td>
          <td><button type="button" class="secondary small" onClick=${() => editor.edit(rule)}
            aria-label=${t("admin.editNamed", { name: rule.did })}>${t("admin.edit")}</button></td>
        </tr>`)}</tbody></table></div>` : html`<${Empty} text=${t("rules.none")} />`}`}<//>`}<//>
  <//>`;
}
