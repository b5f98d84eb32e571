// Small pieces every page uses: loading and error states, badges, sections, checkbox groups.
import { html } from "../../vendor/htm-preact.mjs";
import { t } from "../i18n.js";

export function Loaded({ state, children }) {
  if (state.error) {
    return html`<p class="error" role="alert">${t("app.error", { message: state.error.message })}
      <button type="button" onClick=${state.reload}>${t("app.retry")}</button></p>`;
  }
  if (state.loading && !state.data) return html`<p class="loading">${t("app.loading")}</p>`;
  return children(state.data);
}

export function Section({ title, id, children }) {
  return html`<section class="card" aria-labelledby=${id}><h2 id=${id}>${title}</h2>${children}</section>`;
}

export function Badge({ kind, children }) {
  return html`<span class=${`badge badge-${kind}`}>${children}</span>`;
}

export function Empty({ text }) {
  return html`<p class="empty">${text ?? t("app.empty")}</p>`;
}

// managers as checkbox options: "Name (extension)"
export const managerOptions = (managers) => managers.map((manager) => [manager.id, `${manager.name} (${manager.extension})`]);

// options: [value, label] pairs; checked: the values ticked at first
export function Checkboxes({ legend, name, options, checked = [] }) {
  if (!options.length) return null;
  const ticked = new Set(checked.map(String));
  return html`<fieldset class="choices"><legend>${legend}</legend>
    ${options.map(([value, label]) => html`<label key=${value}>
      <input type="checkbox" name=${name} value=${value} defaultChecked=${ticked.has(String(value))} /> ${label}</label>`)}
  </fieldset>`;
}
