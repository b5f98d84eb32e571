// Callback tasks with their deadlines (overdue ones stand out), a click to
// call back (POST /api/tasks/{id}/call) and to close (the row stays, marked
// closed, until the list is next loaded).
import { html, useState } from "../../vendor/htm-preact.mjs";
import { api } from "../api.js";
import { t, when } from "../i18n.js";
import { link } from "../router.js";
import { Badge } from "./common.js";

export function TaskRow({ task: loaded }) {
  const [task, setTask] = useState(loaded);
  const [note, setNote] = useState("");

  async function act(action) {
    try {
      const result = await api("POST", `/tasks/${task.id}/${action}`);
      if (action === "close") setTask(result);
      setNote(action === "call" ? t("task.calling", { extension: result.extension }) : t("task.closed"));
    } catch (error) {
      setNote(t("app.error", { message: error.message }));
    }
  }

  return html`<li class=${task.overdue ? "task overdue" : "task"} data-task=${task.id} data-status=${task.status}>
    <span class="phone">${task.phone}</span>
    <span>${t("task.deadline", { time: when(task.deadline_at) })}</span>
    ${task.overdue && html`<${Badge} kind="fail">${t("task.overdue")}<//>`}
    <small>${t("task.missed", { count: task.missed_count })}</small>
    ${task.first_call_id && html`<a href=${link(`/calls/${task.first_call_id}`)}>${t("nav.calls").toLowerCase()}</a>`}
    <span class="actions">
      ${task.status === "open" && html`
        <button type="button" onClick=${() => act("call")}>${t("task.callBack")}</button>
        <button type="button" class="secondary" onClick=${() => act("close")}>${t("task.close")}</button>`}
    </span>
    ${note && html`<p class="note" role="status">${note}</p>`}
  </li>`;
}

export function TaskList({ tasks }) {
  return html`<ul class="tasks">${tasks.map((task) => html`<${TaskRow} key=${task.id} task=${task} />`)}</ul>`;
}
