// One training playlist (GET /api/playlists/{id}): the head of sales' notes,
// then the calls in order, each with what to listen for; a call opens its card.
// The head of sales may change it (title, notes, whom it is shown to, which
// calls stay: PATCH) or delete it.
import { html, useState } from "../../vendor/htm-preact.mjs";
import { api } from "../api.js";
import { party } from "../components/calls.js";
import { Badge, Checkboxes, Loaded } from "../components/common.js";
import { Problem, useAction } from "../components/forms.js";
import { useApi } from "../hooks.js";
import { PlaylistFields, playlistFields } from "./training.js";
import { duration, t, when } from "../i18n.js";
import { link } from "../router.js";

function PlaylistEdit({ playlist, onSaved, onCancel }) {
  const managers = useApi("/managers");
  const [error, run] = useAction();
  function save(event) {
    event.preventDefault();
    const data = new FormData(event.target);
    const kept = new Set(data.getAll("keep").map(Number));
    const calls = playlist.calls.filter(({ call }) => kept.has(call.id)).map(({ call, note }) => ({ call_id: call.id, note }));
    return run(async () => {
      await api("PATCH", `/playlists/${playlist.id}`, { ...playlistFields(data), calls });
      onSaved();
    });
  }
  return html`<form class="admin-form save-playlist" onSubmit=${save} aria-label=${t("playlist.edit")}>
    <${Loaded} state=${managers}>${({ items }) => html`<${PlaylistFields} playlist=${playlist} managers=${items} />`}<//>
    <${Checkboxes} legend=${t("playlist.calls")} name="keep" checked=${playlist.calls.map(({ call }) => call.id)}
      options=${playlist.calls.map(({ call }) => [call.id, `${when(call.started_at)} · ${party(call)}`])} />
    <button type="submit">${t("admin.save")}</button>
    <button type="button" class="secondary" onClick=${onCancel}>${t("admin.cancel")}</button>
    <${Problem} error=${error} />
  </form>`;
}

function Playlist({ playlist, user, onChanged }) {
  const [editing, setEditing] = useState(false);
  async function remove() {
    if (!confirm(t("playlist.confirmDelete"))) return;
    await api("DELETE", `/playlists/${playlist.id}`);
    location.hash = link("/training");
  }
  return html`<main id="main" tabindex="-1" class="page">
    <h1>${playlist.title}</h1>
    ${playlist.notes && html`<p class="notes">${playlist.notes}</p>`}
    ${user.role === "rop" && html`<p><small>${playlist.shared_with_all ? t("playlist.sharedWithAll")
      : t("playlist.sharedWith", { count: playlist.manager_ids.length })}</small>
      <button type="button" class="secondary small" onClick=${() => setEditing(true)}>${t("playlist.edit")}</button>
      <button type="button" class="secondary small" onClick=${remove}>${t("playlist.delete")}</button></p>`}
    ${editing && html`<${PlaylistEdit} playlist=${playlist} onCancel=${() => setEditing(false)}
      onSaved=${() => { setEditing(false); onChanged(); }} />`}
    <ol class="playlist">${playlist.calls.map(({ call, note }) => html`<li key=${call.id} data-call=${call.id}>
      <a href=${link(`/calls/${call.id}`)}>${when(call.started_at)} · ${party(call)}</a>
      <small>${call.answered_by_extension ?? ""} · ${duration(call.talk_seconds)}</small>
      ${call.score !== null && html` <${Badge} kind=${call.score_passed ? "pass" : "fail"}>${Math.round(call.score)}<//>`}
      ${call.mark && html` <${Badge} kind=${call.mark.verdict === "good" ? "pass" : "fail"}>${t(`mark.${call.mark.verdict}`)}<//>`}
      ${note && html`<p class="note">${note}</p>`}
    </li>`)}</ol>
  </main>`;
}

export function PlaylistPage({ id, user }) {
  const playlist = useApi(`/playlists/${id}`);
  if (playlist.error?.status === 404) {
    return html`<main id="main" tabindex="-1" class="page"><p class="error" role="alert">${t("playlist.notFound")}</p></main>`;
  }
  return html`<${Loaded} state=${playlist}>${(data) => html`<${Playlist} playlist=${data} user=${user} onChanged=${playlist.reload} />`}<//>`;
}
