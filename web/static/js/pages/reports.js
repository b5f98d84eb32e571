// The head of sales' reports for a period (GET /api/reports/{name}): each a
// chart (Chart.js, loaded on this page only), its numbers as a table, and a
// CSV download. Every bar, point and table row opens the calls behind it.
import { html, useEffect, useMemo, useRef, useState } from "../../vendor/htm-preact.mjs";
import { query } from "../api.js";
import { Empty, Loaded, Section } from "../components/common.js";
import { isoDay, lastDays } from "../days.js";
import { useApi } from "../hooks.js";
import { t } from "../i18n.js";
import { link } from "../router.js";

const COLORS = { answered: "#1e7b45", missed: "#b3261e", late: "#9a6700", other: "#1f5fa8" };
const PALETTE = ["#1f5fa8", "#1e7b45", "#b3261e", "#9a6700", "#6b3fa0", "#00838f", "#5b6877"];

let chartLibrary = null;
function loadChart() {
  chartLibrary ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/app/vendor/chart.umd.min.js";
    script.onload = () => resolve(window.Chart);
    script.onerror = reject;
    document.head.append(script);
  });
  return chartLibrary;
}

function Chart({ config, label, name }) {
  const canvas = useRef(null);
  useEffect(() => {
    let chart = null;
    let alive = true;
    loadChart().then((Library) => {
      if (alive) chart = new Library(canvas.current, config);
    });
    return () => {
      alive = false;
      chart?.destroy();
    };
  }, [config]);
  return html`<div class="chart"><canvas ref=${canvas} role="img" aria-label=${label} data-report=${name}></canvas></div>`;
}

const dataset = (label, data, color, extra = {}) => ({ label, data, backgroundColor: color, borderColor: color, ...extra });
const managerLabel = (row) => (row.manager_id === null ? t("reports.nobody") : `${row.manager} (${row.extension})`);

// counts are whole numbers: no 0.5-call ticks
const counts = (extra = {}) => ({ beginAtZero: true, ticks: { precision: 0 }, ...extra });

function answeredAndMissed(labels, rows, stacked) {
  return {
    type: "bar",
    data: { labels, datasets: [
      dataset(t("reports.answered"), rows.map((row) => row.answered), COLORS.answered),
      dataset(t("reports.missed"), rows.map((row) => row.missed), COLORS.missed),
    ] },
    options: { scales: { x: { stacked }, y: counts({ stacked }) } },
  };
}

// the score lines: a week per label, a manager per line
function weekly(rows) {
  const weeks = [...new Set(rows.map((row) => row.week))].sort();
  const managers = [...new Set(rows.map(managerLabel))];
  const find = (week, manager) => rows.find((row) => row.week === week && managerLabel(row) === manager);
  return { weeks, managers, find };
}

function weekEnd(monday) {
  const sunday = new Date(`${monday}T12:00:00`);
  sunday.setDate(sunday.getDate() + 6);
  return isoDay(sunday);
}

// per report: the chart, the table's columns (key, heading, whether the cell links) and the calls a bar,
// a point or a row leads to (rowAt: the row of a clicked point, when not the label's)
const REPORTS = {
  "calls-by-day": {
    title: "reports.callsByDay",
    chart: (rows) => answeredAndMissed(rows.map((row) => row.day), rows, true),
    target: (row) => link("/calls", { from: row.day, to: row.day }),
    columns: [["day", "reports.day", true], ["calls", "reports.calls"], ["answered", "reports.answered"],
      ["missed", "reports.missed"], ["missed_rate", "reports.missedRate"], ["average_wait", "reports.averageWait"]],
  },
  "calls-by-manager": {
    title: "reports.callsByManager",
    chart: (rows) => answeredAndMissed(rows.map(managerLabel), rows, false),
    target: (row, period) => link("/calls", { manager: row.manager_id, ...period }),
    columns: [["manager", "reports.manager", true], ["answered", "reports.answered"], ["missed", "reports.missed"],
      ["missed_rate", "reports.missedRate"], ["average_wait", "reports.averageWait"]],
  },
  callbacks: {
    title: "reports.callbacks",
    chart: (rows) => ({
      type: "bar",
      data: { labels: rows.map(managerLabel), datasets: [
        dataset(t("reports.inTime"), rows.map((row) => row.in_time), COLORS.answered),
        dataset(t("reports.late"), rows.map((row) => row.late), COLORS.late),
        dataset(t("reports.overdue"), rows.map((row) => row.overdue), COLORS.missed),
      ] },
      options: { scales: { x: { stacked: true }, y: counts({ stacked: true }) } },
    }),
    target: (row, period) => link("/calls", { manager: row.manager_id, ...period }),
    columns: [["manager", "reports.manager", true], ["in_time", "reports.inTime"], ["late", "reports.late"],
      ["open", "reports.open"], ["overdue", "reports.overdue"]],
  },
  "scores-by-week": {
    title: "reports.scoresByWeek",
    chart: (rows) => {
      const { weeks, managers, find } = weekly(rows);
      return {
        type: "line",
        data: { labels: weeks, datasets: managers.map((manager, index) => dataset(manager,
          weeks.map((week) => find(week, manager)?.average_score ?? null),
          PALETTE[index % PALETTE.length], { spanGaps: true })) },
        options: { scales: { y: { min: 0, max: 100 } } },
      };
    },
    rowAt: (element, rows) => {
      const { weeks, managers, find } = weekly(rows);
      return find(weeks[element.index], managers[element.datasetIndex]);
    },
    target: (row) => link("/calls", { manager: row.manager_id, from: row.week, to: weekEnd(row.week) }),
    columns: [["week", "reports.week", true], ["manager", "reports.manager"], ["average_score", "reports.score"]],
  },
  "missed-items": {
    title: "reports.missedItems",
    chart: (rows) => ({
      type: "bar",
      data: { labels: rows.map((row) => row.title), datasets: [
        dataset(t("reports.timesMissed"), rows.map((row) => row.missed), COLORS.missed)] },
      options: { indexAxis: "y", scales: { x: counts() } },
    }),
    target: (row, period) => link("/calls", { missed_item: row.id, ...period }),
    columns: [["title", "reports.item", true], ["missed", "reports.timesMissed"], ["applied", "reports.applied"]],
  },
  "leads-by-source": {
    title: "reports.leadsBySource",
    chart: (rows) => ({
      type: "bar",
      data: { labels: rows.map((row) => row.source || t("reports.unknownSource")), datasets: [
        dataset(t("reports.leads"), rows.map((row) => row.leads), COLORS.other)] },
      options: { scales: { y: counts() } },
    }),
    target: (row, period) => link("/calls", { source: row.source || undefined, ...period }),
    columns: [["source", "reports.source", true], ["leads", "reports.leads"]],
  },
};

function cell(row, key) {
  if (key === "manager") return managerLabel(row);
  if (key === "source") return row.source || t("reports.unknownSource");
  if (key.endsWith("_rate") && row[key] !== null) return `${Math.round(row[key] * 100)} %`;
  return row[key] ?? "—";
}

function Report({ name, period }) {
  const spec = REPORTS[name];
  const state = useApi(`/reports/${name}${query(period)}`);
  const config = useMemo(() => {
    if (!state.data) return null;
    const rows = state.data.rows;
    const chart = spec.chart(rows);
    chart.options.onClick = (_event, elements) => {
      const row = elements.length ? (spec.rowAt ?? ((element) => rows[element.index]))(elements[0], rows) : null;
      if (row) location.hash = spec.target(row, period);
    };
    return chart;
  }, [state.data]);
  return html`<${Section} title=${t(spec.title)} id=${`report-${name}`}>
    <${Loaded} state=${state}>${(report) => report.rows.length === 0 ? html`<${Empty} />` : html`
      <${Chart} config=${config} label=${t(spec.title)} name=${name} />
      <details class="numbers"><summary>${t("reports.table")}</summary>
        <table class="report" data-report=${name}>
          <thead><tr>${spec.columns.map(([, heading]) => html`<th scope="col">${t(heading)}</th>`)}</tr></thead>
          <tbody>${report.rows.map((row) => html`<tr>${spec.columns.map(([key, , linked], index) => {
            const value = cell(row, key);
            const content = linked ? html`<a href=${spec.target(row, period)}>${value}</a>` : value;
            return index === 0 ? html`<th scope="row">${content}</th>` : html`<td data-key=${key}>${content}</td>`;
          })}</tr>`)}</tbody>
        </table>
      </details>`}<//>
    <a class="csv" href=${`/api/reports/${name}${query({ ...period, format: "csv" })}`} download>${t("reports.csv")}</a>
  <//>`;
}

export function ReportsPage() {
  const [period, setPeriod] = useState(() => lastDays(30));
  function apply(event) {
    event.preventDefault();
    setPeriod(Object.fromEntries(new FormData(event.target)));
  }
  return html`<main id="main" tabindex="-1" class="page">
    <h1>${t("reports.title")}</h1>
    <form class="filters" onSubmit=${apply}>
      <label>${t("reports.from")}<input type="date" name="from" value=${period.from} required /></label>
      <label>${t("reports.to")}<input type="date" name="to" value=${period.to} required /></label>
      <button type="submit">${t("reports.show")}</button>
    </form>
    <div class="columns">
      ${Object.keys(REPORTS).map((name) => html`<${Report} key=${`${name}:${period.from}:${period.to}`} name=${name} period=${period} />`)}
    </div>
  </main>`;
}
