// The incoming-call pop-up: the caller's card while the manager's phone rings
// (the "call.ringing" events of GET /api/live, Server-Sent Events with the
// session cookie), marked answered or ended as the call goes on.
import { html, useState } from "../../vendor/htm-preact.mjs";
import { useLive } from "../hooks.js";
import { duration, t, when } from "../i18n.js";
import { link } from "../router.js";
import { Badge } from "./common.js";

export function useRinging() {
  const [cards, setCards] = useState([]);
  const mark = (state) => ({ linkedid }) =>
    setCards((shown) => shown.map((card) => (card.linkedid === linkedid ? { ...card, state } : card)));
  useLive({
    "call.ringing": (card) => setCards((shown) => {
      const before = shown.find((other) => other.linkedid === card.linkedid); // another leg of a call shown: keep its state
      return [{ ...card, state: before?.state }, ...shown.filter((other) => other !== before)].slice(0, 3);
    }),
    "call.answered": mark("answered"),
    "call.ended": mark("ended"),
  });
  const dismiss = (linkedid) => setCards((shown) => shown.filter((card) => card.linkedid !== linkedid));
  return { cards, dismiss };
}

function Caller({ card }) {
  const who = card.client?.name ?? card.caller_name;
  if (!card.phone) return html`<strong>${who || t("popup.withheld")}</strong>`;
  return html`<strong>${who || t("popup.unknown")}</strong> <span class="phone">${card.phone}</span>`;
}

function Popup({ card, onClose }) {
  return html`<aside class="popup" role="alertdialog" aria-labelledby=${`popup-${card.linkedid}`} data-linkedid=${card.linkedid}>
    <h2 id=${`popup-${card.linkedid}`}>${t("popup.title")}
      ${card.state && html` <${Badge} kind=${card.state === "answered" ? "pass" : "na"}>${t(`popup.${card.state}`)}<//>`}</h2>
    <p><${Caller} card=${card} /></p>
    <p><small>${t("popup.ringing", { extension: card.extension })}</small></p>
    ${card.owner && html`<p>${t("popup.owner", { name: card.owner.name })}</p>`}
    ${card.lead && html`<p>${t("popup.lead", { source: card.lead.source ?? "—" })}</p>`}
    ${card.open_tasks.length > 0 && html`<p>${t("popup.tasks")}: ${card.open_tasks.map((task) => html`
      <span key=${task.id}>${when(task.deadline_at)}${task.overdue && html` <${Badge} kind="fail">${t("task.overdue")}<//>`}</span>`)}</p>`}
    ${card.recent_calls.length > 0 && html`<div><p>${t("popup.lastCalls")}:</p><ul>${card.recent_calls.map((call) => html`
      <li key=${call.id}><a href=${link(`/calls/${call.id}`)}>${when(call.started_at)}</a>
        ${t(`disposition.${call.disposition}`)} ${call.talk_seconds ? duration(call.talk_seconds) : ""}</li>`)}</ul></div>`}
    <button type="button" class="secondary" onClick=${onClose}>${t("popup.close")}</button>
  </aside>`;
}

export function RingingPopups() {
  const { cards, dismiss } = useRinging();
  return html`<div class="popups" aria-live="assertive">
    ${cards.map((card) => html`<${Popup} key=${card.linkedid} card=${card} onClose=${() => dismiss(card.linkedid)} />`)}
  </div>`;
}
