// A fallback chain as routing stores it ({steps, queue, voicemail}, see
// routing/rules.py): an editor for the steps in order, and a one-line summary.
import { html } from "../../vendor/htm-preact.mjs";
import { t } from "../i18n.js";

const KINDS = ["owner", "group", "extension"];
const STRATEGIES = ["round_robin", "least_recent", "fewest_calls", "ring_all"];
const RING_SECONDS = 20;

export const EMPTY_CHAIN = { steps: [{ kind: "owner", ring_seconds: RING_SECONDS }], queue: null, voicemail: null };

// a step of another kind keeps only its ring time (the API refuses fields of other kinds)
function ofKind(kind, step, group) {
  const ring_seconds = step.ring_seconds ?? RING_SECONDS;
  if (kind === "group") return { kind, group, strategy: "round_robin", ring_seconds };
  if (kind === "extension") return { kind, extension: "", ring_seconds };
  return { kind, ring_seconds };
}

function stepText(step) {
  const ring = t("time.seconds", { s: step.ring_seconds });
  if (step.kind === "group") return t("chain.groupStep", { group: step.group, strategy: t(`strategy.${step.strategy}`), ring });
  if (step.kind === "extension") return t("chain.extensionStep", { extension: step.extension, ring });
  return t("chain.ownerStep", { ring });
}

export function chainText(chain) {
  if (!chain) return t("chain.roundRobin");
  const parts = chain.steps.map(stepText);
  if (chain.queue) parts.push(t("chain.queueStep", { queue: chain.queue }));
  if (chain.voicemail) parts.push(t("chain.voicemailStep", { mailbox: chain.voicemail }));
  return parts.join(" → ") || t("chain.nothing");
}

function Step({ step, index, count, groups, defaultGroup, onChange, onMove, onRemove }) {
  const number = index + 1;
  const field = (name, value) => onChange({ ...step, [name]: value });
  return html`<li class="step" data-step=${number}>
    <label>${t("chain.kind", { n: number })}<select value=${step.kind}
      onChange=${(event) => onChange(ofKind(event.target.value, step, defaultGroup))}>
      ${KINDS.map((kind) => html`<option value=${kind}>${t(`chain.kind.${kind}`)}</option>`)}</select></label>
    ${step.kind === "group" && html`
      <label>${t("chain.group", { n: number })}<select value=${step.group} required onChange=${(event) => field("group", event.target.value)}>
        ${groups.map((group) => html`<option value=${group.name}>${group.name}</option>`)}</select></label>
      <label>${t("chain.strategy", { n: number })}<select value=${step.strategy} onChange=${(event) => field("strategy", event.target.value)}>
        ${STRATEGIES.map((strategy) => html`<option value=${strategy}>${t(`strategy.${strategy}`)}</option>`)}</select></label>`}
    ${step.kind === "extension" && html`
      <label>${t("chain.extension", { n: number })}<input value=${step.extension} required pattern="[A-Za-z0-9_.+\\-]+"
        onInput=${(event) => field("extension", event.target.value)} /></label>`}
    <label class="ring">${t("chain.ringSeconds", { n: number })}<input type="number" min="3" max="300" required
      value=${step.ring_seconds} onInput=${(event) => field("ring_seconds", Number(event.target.value))} /></label>
    <span class="step-actions">
      <button type="button" class="secondary small" disabled=${index === 0} onClick=${() => onMove(-1)}
        aria-label=${t("chain.up", { n: number })}>↑</button>
      <button type="button" class="secondary small" disabled=${index === count - 1} onClick=${() => onMove(1)}
        aria-label=${t("chain.down", { n: number })}>↓</button>
      <button type="button" class="secondary small" onClick=${onRemove} aria-label=${t("chain.remove", { n: number })}>✕</button>
    </span>
  </li>`;
}

// defaultGroup: the group a new group step rings (the one whose chain this is), else the first
export function ChainEditor({ legend, chain, groups, onChange, defaultGroup = groups[0]?.name ?? "" }) {
  const steps = chain.steps;
  const setSteps = (next) => onChange({ ...chain, steps: next });
  function move(index, by) {
    const next = [...steps];
    [next[index], next[index + by]] = [next[index + by], next[index]];
    setSteps(next);
  }
  const optional = (name) => (event) => onChange({ ...chain, [name]: event.target.value.trim() || null });
  return html`<fieldset class="chain"><legend>${legend}</legend>
    <ol class="steps">${steps.map((step, index) => html`<${Step} key=${index} step=${step} index=${index} count=${steps.length}
      groups=${groups} defaultGroup=${defaultGroup} onChange=${(changed) => setSteps(steps.map((old, at) => (at === index ? changed : old)))}
      onMove=${(by) => move(index, by)} onRemove=${() => setSteps(steps.filter((_, at) => at !== index))} />`)}</ol>
    <button type="button" class="secondary small" onClick=${() => setSteps([...steps, ofKind("owner", {}, defaultGroup)])}>${t("chain.addStep")}</button>
    <div class="filters chain-end">
      <label>${t("chain.queue")}<input value=${chain.queue ?? ""} pattern="[A-Za-z0-9_.+\\-]+" onInput=${optional("queue")} /></label>
      <label>${t("chain.voicemail")}<input value=${chain.voicemail ?? ""} onInput=${optional("voicemail")} /></label>
    </div>
  </fieldset>`;
}
