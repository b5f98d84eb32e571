// The lead card of the call's number: what the conversation filled in (with
// the client's words and the second they said them) and the manager's
// corrections (PUT /api/leads/{id}/facts/{field}), which calls never overwrite.
import { html, useState } from "../../vendor/htm-preact.mjs";
import { api } from "../api.js";
import { clock, t } from "../i18n.js";

export function factLabel(field) {
  const key = `fact.${field}`;
  return t(key) === key ? field : t(key);
}

function Fact({ lead, fact, callId, seek, onSaved }) {
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState("");

  async function save(event) {
    event.preventDefault();
    try {
      onSaved(await api("PUT", `/leads/${lead.id}/facts/${fact.field}`, { value: new FormData(event.target).get("value") }));
      setEditing(false);
    } catch (failure) {
      setError(failure.message);
    }
  }

  if (editing) {
    return html`<form class="fact-edit" onSubmit=${save}>
      <label>${factLabel(fact.field)}<input name="value" value=${fact.value} required maxlength="200" autofocus /></label>
      <button type="submit">${t("call.saveFact")}</button>
      <button type="button" class="secondary" onClick=${() => setEditing(false)}>${t("call.cancel")}</button>
      ${error && html`<p class="error" role="alert">${error}</p>`}
    </form>`;
  }
  const heardHere = fact.call_id === callId && fact.second !== null;
  return html`<div class="fact" data-field=${fact.field}>
    <dt>${factLabel(fact.field)}</dt>
    <dd><strong>${fact.value}</strong> <small>${t(`call.factSetBy.${fact.set_by}`)}</small>
      ${fact.quote && (heardHere
        ? html` <button type="button" class="link" onClick=${() => seek(fact.second)}>«${fact.quote}» — ${clock(fact.second)}</button>`
        : html` <small>«${fact.quote}»</small>`)}
      <button type="button" class="secondary small" onClick=${() => setEditing(true)}>${t("call.editFact")}</button></dd>
  </div>`;
}

function NewFact({ lead, onSaved }) {
  const [open, setOpen] = useState(false);
  async function add(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    onSaved(await api("PUT", `/leads/${lead.id}/facts/${encodeURIComponent(form.get("field"))}`, { value: form.get("value") }));
    setOpen(false);
  }
  if (!open) return html`<button type="button" class="secondary small" onClick=${() => setOpen(true)}>${t("call.addFact")}</button>`;
  return html`<form class="fact-edit" onSubmit=${add}>
    <label>${t("call.factField")}<select name="field">${["name", "source", "rooms", "budget"].map(
      (field) => html`<option value=${field}>${factLabel(field)}</option>`)}</select></label>
    <label>${t("call.factValue")}<input name="value" required maxlength="200" /></label>
    <button type="submit">${t("call.saveFact")}</button>
  </form>`;
}

export function LeadCard({ lead: loaded, callId, seek }) {
  const [lead, setLead] = useState(loaded);
  return html`<div class="lead" data-lead=${lead.id}>
    <p>${lead.phone} ${lead.source && html`<small>${t("popup.lead", { source: lead.source })}</small>`}</p>
    <dl>${lead.facts.map((fact) => html`<${Fact} key=${fact.field} lead=${lead} fact=${fact} callId=${callId} seek=${seek} onSaved=${setLead} />`)}</dl>
    <${NewFact} lead=${lead} onSaved=${setLead} />
  </div>`;
}
