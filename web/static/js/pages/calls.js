// All the calls the user may see, filtered and paged (GET /api/calls). The
// address may bring filters (a report's bar links here): #/calls?from=2026-11-23&to=2026-11-23&manager=3
// (or source, missed_item, mark); the form's filters are added to them.
import { html, useState } from "../../vendor/htm-preact.mjs";
import { api, query } from "../api.js";
import { CallTable } from "../components/calls.js";
import { Loaded } from "../components/common.js";
import { dayStart } from "../days.js";
import { useApi } from "../hooks.js";
import { t } from "../i18n.js";

const DIRECTIONS = ["inbound", "outbound", "internal"];
const DISPOSITIONS = ["answered", "missed", "abandoned", "busy", "failed"];

function fromAddress(query) {
  const { from, to, ...rest } = query;
  return { ...rest, ...(from && { from: dayStart(from) }), ...(to && { to: dayStart(to, 1) }) };
}

export function CallsPage({ user, address }) {
  const [filters, setFilters] = useState(() => fromAddress(address));
  const first = useApi(`/calls${query({ ...filters, limit: 25 })}`);
  const [more, setMore] = useState({ items: [], cursor: undefined });

  function apply(event) {
    event.preventDefault();
    setFilters({ ...filters, ...Object.fromEntries(new FormData(event.target)) });
    setMore({ items: [], cursor: undefined });
  }

  async function loadMore(cursor) {
    const page = await api("GET", `/calls${query({ ...filters, limit: 25, cursor })}`);
    setMore((previous) => ({ items: [...previous.items, ...page.items], cursor: page.next_cursor }));
  }

  const choice = (name, values, prefix) => html`<label>${t(`calls.${name}`)}
    <select name=${name} value=${filters[name] ?? ""}><option value="">${t("calls.any")}</option>
      ${values.map((value) => html`<option value=${value}>${t(`${prefix}.${value}`)}</option>`)}</select></label>`;

  return html`<main id="main" tabindex="-1" class="page">
    <h1>${user.role === "manager" ? t("calls.title") : t("calls.teamTitle")}</h1>
    <form class="filters" onSubmit=${apply}>
      <label>${t("calls.search")}<input name="q" type="search" value=${filters.q ?? ""} /></label>
      ${choice("direction", DIRECTIONS, "direction")}
      ${choice("disposition", DISPOSITIONS, "disposition")}
      <button type="submit">${t("calls.filter")}</button>
    </form>
    <${Loaded} state=${first}>${(page) => {
      const cursor = more.cursor === undefined ? page.next_cursor : more.cursor;
      return html`<${CallTable} calls=${[...page.items, ...more.items]} />
        ${cursor && html`<button type="button" class="secondary" onClick=${() => loadMore(cursor)}>${t("app.more")}</button>`}`;
    }}<//>
  </main>`;
}
