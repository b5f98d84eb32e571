// Managers (GET/POST/PATCH /api/managers): extension, groups, whether they take
// calls (active, away, do not disturb), time zone, working hours and holidays.
import { html } from "../../../vendor/htm-preact.mjs";
import { api } from "../../api.js";
import { Checkboxes, Empty, Loaded, Section } from "../../components/common.js";
import { EditorSlot, Problem, useAction, useEditing } from "../../components/forms.js";
import { useApi } from "../../hooks.js";
import { t } from "../../i18n.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const ZONES = ["Europe/Kaliningrad", "Europe/Moscow", "Europe/Samara", "Asia/Yekaterinburg", "Asia/Omsk",
  "Asia/Novosibirsk", "Asia/Krasnoyarsk", "Asia/Irkutsk", "Asia/Yakutsk", "Asia/Vladivostok", "Asia/Magadan", "Asia/Kamchatka"];
const SHIFT = /^(\d{1,2}:\d{2})\s*[-–—]\s*(\d{1,2}:\d{2})$/;

const shiftsText = (shifts) => (shifts ?? []).map(([start, end]) => `${start}–${end}`).join(", ");

// "09:00–13:00, 14:00–18:00" -> [["09:00", "13:00"], ["14:00", "18:00"]]
function parseShifts(text, day) {
  return text.split(",").map((part) => part.trim()).filter(Boolean).map((part) => {
    const match = SHIFT.exec(part);
    if (!match) throw new Error(t("managers.badShift", { day: t(`day.${day}`), text: part }));
    return [match[1], match[2]];
  });
}

function workingHours(data) {
  const hours = {};
  for (const day of DAYS) {
    const shifts = parseShifts(data.get(day) ?? "", day);
    if (shifts.length) hours[day] = shifts;
  }
  const holidays = (data.get("holidays") ?? "").split(/[\s,;]+/).filter(Boolean);
  if (holidays.length) hours.holidays = holidays;
  return hours;
}

export function hoursText(hours) {
  const days = DAYS.filter((day) => hours[day]?.length);
  if (!days.length) return t("managers.aroundTheClock");
  return days.map((day) => `${t(`day.${day}`)} ${shiftsText(hours[day])}`).join("; ");
}

function ManagerForm({ item: manager, groups, onSaved, onCancel }) {
  const [error, run] = useAction();
  const fresh = manager === null;
  const current = manager ?? { name: "", extension: "", timezone: "Europe/Moscow", working_hours: {}, active: true,
    absent: false, do_not_disturb: false, group_ids: [] };
  const flag = (name) => html`<label><input type="checkbox" name=${name} defaultChecked=${current[name]} /> ${t(`managers.${name}`)}</label>`;
  function save(event) {
    event.preventDefault();
    const data = new FormData(event.target);
    return run(async () => {
      const body = {
        name: data.get("name"), extension: data.get("extension"), timezone: data.get("timezone"),
        working_hours: workingHours(data), group_ids: data.getAll("groups").map(Number),
        active: data.has("active"), absent: data.has("absent"), do_not_disturb: data.has("do_not_disturb"),
      };
      await (fresh ? api("POST", "/managers", body) : api("PATCH", `/managers/${manager.id}`, body));
      onSaved();
    });
  }
  return html`<form class="admin-form" onSubmit=${save} aria-label=${fresh ? t("managers.new") : current.name}>
    <h3>${fresh ? t("managers.new") : current.name}</h3>
    <div class="filters">
      <label>${t("managers.name")}<input name="name" required maxlength="200" defaultValue=${current.name} /></label>
      <label>${t("managers.extension")}<input name="extension" required pattern="[0-9A-Za-z*#+_\\-]{1,40}" defaultValue=${current.extension} /></label>
      <label>${t("managers.timezone")}<input name="timezone" required list="zones" defaultValue=${current.timezone} /></label>
      <datalist id="zones">${ZONES.map((zone) => html`<option value=${zone} />`)}</datalist>
    </div>
    <fieldset class="choices"><legend>${t("managers.takesCalls")}</legend>${flag("active")}${flag("absent")}${flag("do_not_disturb")}</fieldset>
    <${Checkboxes} legend=${t("managers.groups")} name="groups" checked=${current.group_ids}
      options=${groups.map((group) => [group.id, group.name])} />
    <fieldset class="hours"><legend>${t("managers.hours")}</legend>
      <p class="hint">${t("managers.hoursHint")}</p>
      ${DAYS.map((day) => html`<label key=${day}>${t(`day.${day}`)}<input name=${day}
        defaultValue=${shiftsText(current.working_hours[day])} /></label>`)}
      <label class="wide">${t("managers.holidays")}<input name="holidays"
        defaultValue=${(current.working_hours.holidays ?? []).join(", ")} /></label>
    </fieldset>
    <button type="submit">${t("admin.save")}</button>
    <button type="button" class="secondary" onClick=${onCancel}>${t("admin.cancel")}</button>
    <${Problem} error=${error} />
  </form>`;
}

function status(manager) {
  if (!manager.active) return t("managers.off");
  const notes = [manager.absent && t("managers.absent"), manager.do_not_disturb && t("managers.do_not_disturb")].filter(Boolean);
  return notes.length ? notes.join(", ") : t("managers.available");
}

export function ManagersAdmin() {
  const managers = useApi("/managers");
  const groups = useApi("/groups");
  const editor = useEditing(managers.reload);
  return html`<${Section} title=${t("admin.managers")} id="managers-title">
    <${Loaded} state=${groups}>${({ items: groupList }) => html`<${Loaded} state=${managers}>${({ items }) => html`
      <${EditorSlot} editor=${editor} addLabel=${t("managers.add")} Form=${ManagerForm} groups=${groupList} />
      ${items.length ? html`<div class="table-scroll"><table class="admin-table">
        <thead><tr><th scope="col">${t("managers.name")}</th><th scope="col">${t("managers.extension")}</th>
          <th scope="col">${t("managers.groups")}</th><th scope="col">${t("managers.status")}</th>
          <th scope="col">${t("managers.hours")}</th><th scope="col"></th></tr></thead>
        <tbody>${items.map((manager) => html`<tr key=${manager.id} data-manager=${manager.id}>
          <td>${manager.name}</td><td>${manager.extension}</td>
          <td>${groupList.filter((group) => manager.group_ids.includes(group.id)).map((group) => group.name).join(", ")}</td>
          <td>${status(manager)}</td>
          <td><small>${hoursText(manager.working_hours)} (${manager.timezone})</small></td>
          <td><button type="button" class="secondary small" onClick=${() => editor.edit(manager)}
            aria-label=${t("admin.editNamed", { name: manager.name })}>${t("admin.edit")}</button></td>
        </tr>`)}</tbody></table></div>` : html`<${Empty} />`}`}<//>`}<//>
  <//>`;
}
