// What a manager was told (GET /api/notifications?unread=true), e.g. that a
// colleague answered their client; "read" puts one away (POST .../read).
import { html } from "../../vendor/htm-preact.mjs";
import { api } from "../api.js";
import { t, when } from "../i18n.js";
import { link } from "../router.js";

function text(notice) {
  const { phone, caller_name: name, answered_by: by } = notice.payload;
  const key = `notice.${notice.kind}`;
  return t(key) === key ? notice.kind : t(key, { client: name ? `${name} (${phone})` : phone, by });
}

export function NoticeList({ notices, onRead }) {
  async function read(notice) {
    await api("POST", `/notifications/${notice.id}/read`);
    onRead();
  }
  return html`<ul class="notices">${notices.map((notice) => html`<li key=${notice.id} data-notice=${notice.id}>
    <span>${text(notice)}</span>
    <small>${notice.call_id ? html`<a href=${link(`/calls/${notice.call_id}`)}>${when(notice.created_at)}</a>` : when(notice.created_at)}</small>
    <button type="button" class="secondary small" onClick=${() => read(notice)}>${t("notice.read")}</button>
  </li>`)}</ul>`;
}
