// One training playlist (GET /api/playlists/{id}): the head of sales' notes,
// then the calls in order, each with what to listen for; a call opens its card.
// The head of sales may delete it.
import { html } from "../../vendor/htm-preact.mjs";
import { api } from "../api.js";
import { party } from "../components/calls.js";
import { Badge, Loaded } from "../components/common.js";
import { useApi } from "../hooks.js";
import { duration, t, when } from "../i18n.js";
import { link } from "../router.js";

function Playlist({ playlist, user }) {
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
      <button type="button" class="secondary small" onClick=${remove}>${t("playlist.delete")}</button></p>`}
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
  return html`<${Loaded} state=${playlist}>${(data) => html`<${Playlist} playlist=${data} user=${user} />`}<//>`;
}
