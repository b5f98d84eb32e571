// Groups (GET/POST/PATCH /api/groups): members and the manager who takes a missed
// call nobody owns; and each group's fallback chain (PUT /api/groups/{id}/chain),
// else round-robin over its members.
import { html, useState } from "../../../vendor/htm-preact.mjs";
import { api } from "../../api.js";
import { ChainEditor, EMPTY_CHAIN, chainText } from "../../components/chain.js";
import { Checkboxes, Empty, Loaded, Section, managerOptions } from "../../components/common.js";
import { EditorSlot, Problem, useAction, useEditing } from "../../components/forms.js";
import { useApi } from "../../hooks.js";
import { t } from "../../i18n.js";

function GroupForm({ item: group, managers, groups, onSaved, onCancel }) {
  const [error, run] = useAction();
  const fresh = group === null;
  const stored = useApi(fresh ? null : `/groups/${group.id}/chain`);
  const [chain, setChain] = useState(undefined); // undefined: as stored; null: round-robin
  const shown = chain === undefined ? stored.data?.chain ?? null : chain;
  function save(event) {
    event.preventDefault();
    const data = new FormData(event.target);
    const body = {
      name: data.get("name"), manager_ids: data.getAll("members").map(Number),
      default_manager_id: data.get("default_manager") ? Number(data.get("default_manager")) : null,
    };
    return run(async () => {
      const saved = await (fresh ? api("POST", "/groups", body) : api("PATCH", `/groups/${group.id}`, body));
      if (chain !== undefined) await api("PUT", `/groups/${saved.id}/chain`, { chain });
      onSaved();
    });
  }
  const title = fresh ? t("groups.new") : group.name;
  return html`<form class="admin-form" onSubmit=${save} aria-label=${title}>
    <h3>${title}</h3>
    <div class="filters">
      <label>${t("groups.name")}<input name="name" required maxlength="100" defaultValue=${group?.name ?? ""} /></label>
      <label>${t("groups.defaultManager")}<select name="default_manager">
        <option value="">${t("groups.noDefault")}</option>
        ${managers.map((manager) => html`<option value=${manager.id} selected=${manager.id === group?.default_manager_id}>${manager.name}</option>`)}</select></label>
    </div>
    <${Checkboxes} legend=${t("groups.members")} name="members" checked=${group?.manager_ids ?? []}
      options=${managerOptions(managers)} />
    <label><input type="checkbox" checked=${shown !== null}
      onChange=${(event) => setChain(event.target.checked ? EMPTY_CHAIN : null)} /> ${t("groups.ownChain")}</label>
    ${shown !== null && html`<${ChainEditor} legend=${t("groups.chain")} chain=${shown} groups=${groups} onChange=${setChain}
      defaultGroup=${group?.name} />`}
    <button type="submit">${t("admin.save")}</button>
    <button type="button" class="secondary" onClick=${onCancel}>${t("admin.cancel")}</button>
    <${Problem} error=${error} />
  </form>`;
}

function GroupRow({ group, managers, onEdit }) {
  const chain = useApi(`/groups/${group.id}/chain`);
  const names = managers.filter((manager) => group.manager_ids.includes(manager.id)).map((manager) => manager.name);
  const fallback = managers.find((manager) => manager.id === group.default_manager_id);
  return html`<tr data-group=${group.id}>
    <td>${group.name}</td><td>${names.join(", ")}</td><td>${fallback?.name ?? ""}</td>
    <td><small>${chain.data ? chainText(chain.data.chain) : ""}</small></td>
    <td><button type="button" class="secondary small" onClick=${onEdit}
      aria-label=${t("admin.editNamed", { name: group.name })}>${t("admin.edit")}</button></td>
  </tr>`;
}

export function GroupsAdmin() {
  const groups = useApi("/groups");
  const managers = useApi("/managers");
  const [saves, setSaves] = useState(0); // a row reloads its chain after a save
  const editor = useEditing(() => { setSaves(saves + 1); groups.reload(); });
  return html`<${Section} title=${t("admin.groups")} id="groups-title">
    <${Loaded} state=${managers}>${({ items: people }) => html`<${Loaded} state=${groups}>${({ items }) => html`
      <${EditorSlot} editor=${editor} addLabel=${t("groups.add")} Form=${GroupForm} managers=${people} groups=${items} />
      ${items.length ? html`<div class="table-scroll"><table class="admin-table">
        <thead><tr><th scope="col">${t("groups.name")}</th><th scope="col">${t("groups.members")}</th>
          <th scope="col">${t("groups.defaultManager")}</th><th scope="col">${t("groups.chain")}</th><th scope="col"></th></tr></thead>
        <tbody>${items.map((group) => html`<${GroupRow} key=${`${group.id}-${saves}`} group=${group}
          managers=${people} onEdit=${() => editor.edit(group)} />`)}</tbody></table></div>` : html`<${Empty} />`}`}<//>`}<//>
  <//>`;
}
