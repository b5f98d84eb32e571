// Logins (GET/POST/PATCH /api/users): a manager's login sees that manager's
// calls; the head of sales the team's; an admin configures. Passwords are set
// here and never shown.
import { html } from "../../../vendor/htm-preact.mjs";
import { api } from "../../api.js";
import { Empty, Loaded, Section, managerOptions } from "../../components/common.js";
import { EditorSlot, Problem, useAction, useEditing } from "../../components/forms.js";
import { useApi } from "../../hooks.js";
import { t, when } from "../../i18n.js";

const ROLES = ["manager", "rop", "admin"];

function UserForm({ item: account, managers, onSaved, onCancel }) {
  const [error, run] = useAction();
  const fresh = account === null;
  function save(event) {
    event.preventDefault();
    const data = new FormData(event.target);
    const body = {
      role: data.get("role"), manager_id: data.get("manager") ? Number(data.get("manager")) : null,
      ...(data.get("password") ? { password: data.get("password") } : {}),
    };
    return run(async () => {
      await (fresh ? api("POST", "/users", { ...body, username: data.get("username") })
        : api("PATCH", `/users/${account.id}`, { ...body, active: data.has("active") }));
      onSaved();
    });
  }
  const title = fresh ? t("users.new") : account.username;
  return html`<form class="admin-form" onSubmit=${save} aria-label=${title}>
    <h3>${title}</h3>
    <div class="filters">
      ${fresh && html`<label>${t("users.username")}<input name="username" required pattern="[A-Za-z0-9._@\\-]{2,80}" autocomplete="off" /></label>`}
      <label>${fresh ? t("users.password") : t("users.newPassword")}<input name="password" type="password" minlength="8"
        required=${fresh} autocomplete="new-password" /></label>
      <label>${t("users.role")}<select name="role">
        ${ROLES.map((role) => html`<option value=${role} selected=${role === (account?.role ?? "manager")}>${t(`role.${role}`)}</option>`)}</select></label>
      <label>${t("users.managerField")}<select name="manager">
        <option value="">${t("users.noManager")}</option>
        ${managerOptions(managers).map(([id, label]) => html`<option value=${id} selected=${id === account?.manager_id}>${label}</option>`)}</select></label>
    </div>
    ${!fresh && html`<label><input type="checkbox" name="active" defaultChecked=${account.active} /> ${t("users.active")}</label>`}
    <button type="submit">${t("admin.save")}</button>
    <button type="button" class="secondary" onClick=${onCancel}>${t("admin.cancel")}</button>
    <${Problem} error=${error} />
  </form>`;
}

export function UsersAdmin() {
  const users = useApi("/users");
  const managers = useApi("/managers");
  const editor = useEditing(users.reload);
  return html`<${Section} title=${t("admin.users")} id="users-title">
    <${Loaded} state=${managers}>${({ items: people }) => html`<${Loaded} state=${users}>${({ items }) => html`
      <${EditorSlot} editor=${editor} addLabel=${t("users.add")} Form=${UserForm} managers=${people} />
      ${items.length ? html`<div class="table-scroll"><table class="admin-table">
        <thead><tr><th scope="col">${t("users.username")}</th><th scope="col">${t("users.role")}</th>
          <th scope="col">${t("users.manager")}</th><th scope="col">${t("users.since")}</th><th scope="col"></th></tr></thead>
        <tbody>${items.map((account) => html`<tr key=${account.id} data-user=${account.username} class=${account.active ? "" : "inactive"}>
          <td>${account.username}${!account.active && html` <small>(${t("users.blocked")})</small>`}</td>
          <td>${t(`role.${account.role}`)}</td>
          <td>${people.find((manager) => manager.id === account.manager_id)?.name ?? ""}</td>
          <td>${when(account.created_at)}</td>
          <td><button type="button" class="secondary small" onClick=${() => editor.edit(account)}
            aria-label=${t("admin.editNamed", { name: account.username })}>${t("admin.edit")}</button></td>
        </tr>`)}</tbody></table></div>` : html`<${Empty} />`}`}<//>`}<//>
  <//>`;
}
