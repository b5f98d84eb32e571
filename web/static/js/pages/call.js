// The call card: parties and times, the routing path, the recording with its
// waveform and the transcript that follows it, the score with evidence, the
// lead card and the open callback task of the number.
import { html } from "../../vendor/htm-preact.mjs";
import { query } from "../api.js";
import { Badge, Empty, Loaded, Section } from "../components/common.js";
import { LeadCard } from "../components/lead.js";
import { MarkBox } from "../components/mark.js";
import { Player, Transcript, usePlayer } from "../components/player.js";
import { ScoreCard } from "../components/score.js";
import { TaskList } from "../components/tasks.js";
import { useApi } from "../hooks.js";
import { duration, t, when } from "../i18n.js";

function clientNumber(card) {
  return card.direction === "outbound" ? card.callee.number : card.caller.number;
}

function Facts({ card }) {
  const rows = [
    [t("call.caller"), [card.caller.name, card.caller.number ?? card.caller.raw].filter(Boolean).join(" ")],
    [t("call.callee"), card.callee.number ?? card.callee.raw],
    [t("call.client"), card.client?.name],
    [t("call.answeredBy"), card.answered_by && `${card.answered_by.name} (${card.answered_by.extension})`],
    [t("call.started"), when(card.started_at)],
    [t("call.wait"), card.wait_seconds === null ? null : duration(card.wait_seconds)],
    [t("call.talk"), duration(card.talk_seconds)],
    [t("call.source"), card.source],
    [t("call.recovered"), card.recovered && t("call.recoveredWhy")],
  ];
  return html`<dl class="facts">${rows.filter(([, value]) => value).map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}</dl>`;
}

function RoutingPath({ legs }) {
  if (!legs.length) return html`<${Empty} text=${t("call.noLegs")} />`;
  return html`<ol class="legs">${legs.map((leg) => html`<li key=${leg.position} class=${`leg ${leg.result}`}>
    ${t("call.leg", { extension: leg.manager ? `${leg.manager.name} (${leg.extension})` : leg.extension,
                      seconds: Math.round(leg.ring_seconds ?? 0), result: t(`leg.${leg.result}`) })}
  </li>`)}</ol>`;
}

function Card({ card, user }) {
  const player = usePlayer();
  const number = clientNumber(card);
  const leads = useApi(number ? `/leads${query({ phone: number, status: "open", limit: 1 })}` : null);
  const tasks = useApi(number ? `/tasks${query({ phone: number, status: "open", limit: 5 })}` : null);
  const recording = card.recording;
  const lines = card.transcript?.status === "done" ? card.transcript.lines : [];
  return html`<main id="main" tabindex="-1" class="page call-card">
    <h1>${t("call.title", { id: card.id })} <${Badge} kind=${card.disposition}>${t(`disposition.${card.disposition}`)}<//>
      <small>${t(`direction.${card.direction}`)}</small></h1>
    <div class="columns">
      <${Section} title=${t("call.parties")} id="parties-title"><${Facts} card=${card} /><//>
      <${Section} title=${t("call.path")} id="path-title"><${RoutingPath} legs=${card.legs} /><//>
    </div>
    <${Section} title=${t("call.recording")} id="recording-title">
      ${recording && recording.status === "ok"
        ? html`<${Player} player=${player} url=${`/api/calls/${card.id}/recording`} />`
        : html`<${Empty} text=${recording ? t("call.recordingStatus", { status: t(`status.${recording.status}`) }) : t("call.noRecording")} />`}
    <//>
    <div class="columns">
      <${Section} title=${t("call.transcript")} id="transcript-title">
        ${lines.length
          ? html`<${Transcript} lines=${lines} player=${player} />`
          : html`<${Empty} text=${card.transcript ? t("call.transcriptStatus", { status: t(`status.${card.transcript.status}`) }) : t("call.noTranscript")} />`}
      <//>
      <div>
        <${Section} title=${t("call.score")} id="score-title">
          ${card.score ? html`<${ScoreCard} score=${card.score} seek=${player.seek} />`
            : html`<${Empty} text=${t(card.unscored ? `call.unscored.${card.unscored}` : "call.noScore")} />`}
        <//>
        ${(user.role === "rop" || card.mark) && html`<${Section} title=${t("mark.title")} id="mark-title">
          <${MarkBox} callId=${card.id} mark=${card.mark} editable=${user.role === "rop"} />
        <//>`}
        <${Section} title=${t("call.leadCard")} id="lead-title">
          <${Loaded} state=${leads}>${(page) => page?.items.length
            ? html`<${LeadCard} lead=${page.items[0]} callId=${card.id} seek=${player.seek} />`
            : html`<${Empty} text=${t("call.noLead")} />`}<//>
        <//>
        <${Section} title=${t("call.task")} id="task-title">
          <${Loaded} state=${tasks}>${(page) => page?.items.length
            ? html`<${TaskList} tasks=${page.items} />`
            : html`<${Empty} text=${t("call.noTask")} />`}<//>
        <//>
      </div>
    </div>
  </main>`;
}

export function CallPage({ id, user }) {
  const card = useApi(`/calls/${id}`);
  if (card.error?.status === 404 || card.error?.status === 403) {
    return html`<main id="main" tabindex="-1" class="page"><p class="error" role="alert">${t("call.notFound")}</p></main>`;
  }
  return html`<${Loaded} state=${card}>${(data) => html`<${Card} key=${data.id} card=${data} user=${user} />`}<//>`;
}
