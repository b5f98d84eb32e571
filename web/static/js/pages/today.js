// The start page: callback tasks by deadline, a manager's unread notifications,
// the latest calls and open leads. The API scopes each list: a manager's own,
// the whole team for the ROP. Tasks and notifications follow the live events.
import { html } from "../../vendor/htm-preact.mjs";
import { query } from "../api.js";
import { CallTable } from "../components/calls.js";
import { Empty, Loaded, Section } from "../components/common.js";
import { NoticeList } from "../components/notices.js";
import { TaskList } from "../components/tasks.js";
import { useApi, useLive } from "../hooks.js";
import { t, when } from "../i18n.js";
import { link } from "../router.js";

export function TodayPage({ user }) {
  const tasks = useApi(`/tasks${query({ status: "open", sort: "deadline_at", limit: 50 })}`);
  const notices = useApi(user.role === "manager" ? `/notifications${query({ unread: true, limit: 20 })}` : null);
  const calls = useApi(`/calls${query({ limit: 10 })}`);
  const leads = useApi(`/leads${query({ status: "open", limit: 10 })}`);
  useLive({
    "task.created": tasks.reload, "task.closed": tasks.reload, "task.overdue": tasks.reload,
    "notification.created": notices.reload,
  });
  return html`<main id="main" tabindex="-1" class="page">
    <h1>${t("today.title")}</h1>
    ${notices.data?.items.length > 0 && html`<${Section} title=${t("today.notices")} id="notices-title">
      <${NoticeList} notices=${notices.data.items} onRead=${notices.reload} />
    <//>`}
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
