// The start page: callback tasks by deadline, the latest calls and open
// leads. The API scopes each list: a manager's own, the whole team for the ROP.
import { html } from "../../vendor/htm-preact.mjs";
import { query } from "../api.js";
import { CallTable } from "../components/calls.js";
import { Empty, Loaded, Section } from "../components/common.js";
import { TaskList } from "../components/tasks.js";
import { useApi } from "../hooks.js";
import { t, when } from "../i18n.js";
import { link } from "../router.js";

export function TodayPage() {
  const tasks = useApi(`/tasks${query({ status: "open", sort: "deadline_at", limit: 50 })}`);
  const calls = useApi(`/calls${query({ limit: 10 })}`);
  const leads = useApi(`/leads${query({ status: "open", limit: 10 })}`);
  return html`<main id="main" tabindex="-1" class="page">
    <h1>${t("today.title")}</h1>
    <div class="columns">
      <${Section} title=${t("today.tasks")} id="tasks-title">
        <${Loaded} state=${tasks}>${(page) => page.items.length
          ? html`<${TaskList} tasks=${page.items} />`
          : html`<${Empty} text=${t("today.noTasks")} />`}<//>
      <//>
      <${Section} title=${t("today.leads")} id="leads-title">
        <${Loaded} state=${leads}>${(page) => page.items.length
          ? html`<ul class="leads">${page.items.map((lead) => html`<li key=${lead.id}>
              ${lead.first_call_id ? html`<a href=${link(`/calls/${lead.first_call_id}`)}>${lead.phone}</a>` : lead.phone}
              ${" "}<small>${lead.source ?? ""} ${when(lead.created_at)}</small>
              ${lead.facts.filter((fact) => fact.field === "name").map((fact) => html` <strong>${fact.value}</strong>`)}
            </li>`)}</ul>`
          : html`<${Empty} text=${t("today.noLeads")} />`}<//>
      <//>
    </div>
    <${Section} title=${t("today.calls")} id="calls-title">
      <${Loaded} state=${calls}>${(page) => html`<${CallTable} calls=${page.items} />`}<//>
    <//>
  </main>`;
}
