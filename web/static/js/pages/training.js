// Training. The head of sales draws a sample of scored calls (POST
// /api/training/samples), keeps the calls worth it with a note each, and saves
// them as a playlist shared with managers (POST /api/playlists). Everyone sees
// the playlists they may open: the head of sales all, a manager those shared with them.
import { html, useState } from "../../vendor/htm-preact.mjs";
import { api, query } from "../api.js";
import { party } from "../components/calls.js";
import { Badge, Checkboxes, Empty, Loaded, Section, managerOptions } from "../components/common.js";
import { Problem, useAction } from "../components/forms.js";
import { dayStart, lastDays } from "../days.js";
import { useApi } from "../hooks.js";
import { duration, t, when } from "../i18n.js";
import { link } from "../router.js";

const numberOrNull = (value, scale = 1) => (value === "" ? null : Number(value) * scale);

// the form's fields as the sample request
function criteria(form, period) {
  const data = new FormData(form);
  return {
    from: dayStart(period.from), to: dayStart(period.to, 1),
    managers: data.getAll("managers").map(Number),
    missed_items: data.getAll("missed_items"),
    score_min: Number(data.get("score_min")), score_max: Number(data.get("score_max")),
    min_seconds: numberOrNull(data.get("min_minutes"), 60), max_seconds: numberOrNull(data.get("max_minutes"), 60),
    direction: data.get("direction") || null,
    method: data.get("method"), size: Number(data.get("size")),
  };
}

function SampleForm({ managers, onDrawn }) {
  const [period, setPeriod] = useState(() => lastDays(30));
  const items = useApi(`/reports/missed-items${query(period)}`);
  const [error, run] = useAction();

  function draw(event) {
    event.preventDefault();
    const request = criteria(event.target, period);
    return run(async () => onDrawn(await api("POST", "/training/samples", request)));
  }
  const day = (name) => html`<label>${t(`reports.${name}`)}<input type="date" name=${name} value=${period[name]} required
    onChange=${(event) => setPeriod({ ...period, [name]: event.target.value })} /></label>`;
  return html`<form class="sample" onSubmit=${draw}>
    <div class="filters">${day("from")}${day("to")}
      <label>${t("training.scoreMin")}<input type="number" name="score_min" min="0" max="100" value="0" /></label>
      <label>${t("training.scoreMax")}<input type="number" name="score_max" min="0" max="100" value="100" /></label>
      <label>${t("training.minMinutes")}<input type="number" name="min_minutes" min="0" step="0.5" /></label>
      <label>${t("training.maxMinutes")}<input type="number" name="max_minutes" min="0" step="0.5" /></label>
      <label>${t("calls.direction")}<select name="direction"><option value="">${t("calls.any")}</option>
        ${["inbound", "outbound"].map((value) => html`<option value=${value}>${t(`direction.${value}`)}</option>`)}</select></label>
    </div>
    <${Checkboxes} legend=${t("training.managers")} name="managers" options=${managerOptions(managers)} />
    <${Loaded} state=${items}>${(report) => html`<${Checkboxes} legend=${t("training.missedItems")} name="missed_items"
      options=${report.rows.map((row) => [row.id, row.title])} />`}<//>
    <fieldset class="choices"><legend>${t("training.method")}</legend>
      <label><input type="radio" name="method" value="random" checked /> ${t("training.random")}</label>
      <label><input type="radio" name="method" value="best_and_worst" /> ${t("training.bestAndWorst")}</label>
      <label class="size">${t("training.size")}<input type="number" name="size" min="1" max="200" value="10" required /></label>
    </fieldset>
    <button type="submit">${t("training.draw")}</button>
    <${Problem} error=${error} />
  </form>`;
}

// A playlist's title, notes and whom it is shown to: the fields, and what they say as the API takes them
export function PlaylistFields({ playlist = { title: "", notes: "", manager_ids: [], shared_with_all: false }, managers }) {
  return html`
    <label>${t("training.name")}<input name="title" required maxlength="200" defaultValue=${playlist.title} /></label>
    <label>${t("training.notes")}<textarea name="notes" rows="2" maxlength="4000" defaultValue=${playlist.notes}></textarea></label>
    <${Checkboxes} legend=${t("training.shareWith")} name="share" checked=${playlist.manager_ids} options=${managerOptions(managers)} />
    <label><input type="checkbox" name="share_all" defaultChecked=${playlist.shared_with_all} /> ${t("training.shareAll")}</label>`;
}

export const playlistFields = (data) => ({
  title: data.get("title"), notes: data.get("notes"),
  manager_ids: data.getAll("share").map(Number), shared_with_all: data.has("share_all"),
});

function SaveForm({ entries, managers }) {
  const [error, run] = useAction();
  function save(event) {
    event.preventDefault();
    const fields = playlistFields(new FormData(event.target));
    return run(async () => {
      const calls = entries.map(({ call, note }) => ({ call_id: call.id, note }));
      const playlist = await api("POST", "/playlists", { ...fields, calls });
      location.hash = link(`/playlists/${playlist.id}`);
    });
  }
  return html`<form class="save-playlist" onSubmit=${save}>
    <h3>${t("training.saveTitle", { count: entries.length })}</h3>
    <${PlaylistFields} managers=${managers} />
    <button type="submit" disabled=${!entries.length}>${t("training.save")}</button>
    <${Problem} error=${error} />
  </form>`;
}

function SampleResult({ sample, managers }) {
  const [kept, setKept] = useState(() => sample.items.map((item) => ({ ...item, keep: true, note: "" })));
  const update = (index, change) => setKept(kept.map((entry, at) => (at === index ? { ...entry, ...change } : entry)));
  const names = Object.fromEntries(managers.map((manager) => [manager.id, manager.name]));
  return html`<div class="sample-result">
    <p role="status">${t("training.drawn", { drawn: sample.items.length, matched: sample.matched })}</p>
    ${sample.items.length ? html`<table class="calls">
      <thead><tr><th scope="col">${t("training.keep")}</th><th scope="col">${t("training.pick")}</th>
        <th scope="col">${t("calls.when")}</th><th scope="col">${t("calls.who")}</th><th scope="col">${t("calls.answeredBy")}</th>
        <th scope="col">${t("calls.talk")}</th><th scope="col">${t("calls.score")}</th><th scope="col">${t("training.note")}</th></tr></thead>
      <tbody>${kept.map(({ call, pick, keep, note }, index) => html`<tr key=${call.id} data-call=${call.id}>
        <td><input type="checkbox" checked=${keep} aria-label=${t("training.keepCall", { id: call.id })}
          onChange=${(event) => update(index, { keep: event.target.checked })} /></td>
        <td><${Badge} kind=${pick === "worst" ? "fail" : pick === "best" ? "pass" : "na"}>${t(`pick.${pick}`)}<//></td>
        <td><a href=${link(`/calls/${call.id}`)}>${when(call.started_at)}</a></td>
        <td>${party(call)}</td>
        <td>${names[call.answered_by_id] ?? call.answered_by_extension}</td>
        <td>${duration(call.talk_seconds)}</td>
        <td>${Math.round(call.score)}</td>
        <td><input value=${note} aria-label=${t("training.noteFor", { id: call.id })}
          onInput=${(event) => update(index, { note: event.target.value })} /></td>
      </tr>`)}</tbody>
    </table>` : html`<${Empty} text=${t("training.nothing")} />`}
    <${SaveForm} entries=${kept.filter((entry) => entry.keep)} managers=${managers} />
  </div>`;
}

function Sampling() {
  const managers = useApi("/managers");
  const [sample, setSample] = useState(null);
  return html`<${Section} title=${t("training.sample")} id="sample-title">
    <${Loaded} state=${managers}>${({ items }) => html`
      <${SampleForm} managers=${items} onDrawn=${setSample} />
      ${sample && html`<${SampleResult} key=${JSON.stringify(sample.items.map((item) => item.call.id))} sample=${sample} managers=${items} />`}`}<//>
  <//>`;
}

export function PlaylistList() {
  const playlists = useApi("/playlists");
  return html`<${Section} title=${t("training.playlists")} id="playlists-title">
    <${Loaded} state=${playlists}>${({ items }) => items.length ? html`<ul class="playlists">
      ${items.map((playlist) => html`<li key=${playlist.id}>
        <a href=${link(`/playlists/${playlist.id}`)}>${playlist.title}</a>
        <small>${t("training.callCount", { count: playlist.call_count })} · ${when(playlist.updated_at)}</small>
        ${playlist.notes && html`<p>${playlist.notes}</p>`}
      </li>`)}</ul>` : html`<${Empty} text=${t("training.noPlaylists")} />`}<//>
  <//>`;
}

export function TrainingPage({ user }) {
  return html`<main id="main" tabindex="-1" class="page">
    <h1>${t("training.title")}</h1>
    ${user.role === "rop" && html`<${Sampling} />`}
    <${PlaylistList} />
  </main>`;
}
