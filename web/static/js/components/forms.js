// Saving a form: useAction runs the API calls and keeps the error, Problem
// shows it with every detail the API gave (a field's message, a script's problems);
// a settings list opens one form at a time (useEditing, EditorSlot).
import { html, useState } from "../../vendor/htm-preact.mjs";
import { t } from "../i18n.js";

export function useAction() {
  const [error, setError] = useState(null);
  async function run(work) {
    setError(null);
    try {
      await work();
    } catch (failure) {
      setError(failure);
    }
  }
  return [error, run];
}

const detail = (item) => (typeof item === "string" ? item : `${(item.loc ?? []).slice(1).join(".")}: ${item.msg}`);

export function Problem({ error }) {
  if (!error) return null;
  const details = Array.isArray(error.body?.details) ? error.body.details : [];
  return html`<div class="error" role="alert">${t("app.error", { message: error.message })}
    ${details.length > 0 && html`<ul class="problems">${details.map((item, index) => html`<li key=${index}>${detail(item)}</li>`)}</ul>`}
  </div>`;
}

// A settings list's editing: nothing open (undefined), a new row (null), or a row.
export function useEditing(reload) {
  const [editing, edit] = useState(undefined);
  return { editing, edit, close: () => edit(undefined), saved: () => { edit(undefined); reload(); } };
}

// The open form (its item: the row, or null for a new one), else the button that adds one.
export function EditorSlot({ editor, addLabel, Form, ...props }) {
  if (editor.editing === undefined) return html`<button type="button" onClick=${() => editor.edit(null)}>${addLabel}</button>`;
  return html`<${Form} key=${editor.editing?.id ?? "new"} item=${editor.editing} onSaved=${editor.saved} onCancel=${editor.close} ...${props} />`;
}
