// The head of sales' reports for a period (GET /api/reports/{name}): each a
// chart (Chart.js, loaded on this page only), its numbers as a table, and a
// CSV download. A day's or a manager's bar, and its table row, open the calls
// behind it.
import { html, useEffect, useMemo, useRef, useState } from "../../vendor/htm-preact.mjs";
import { query } from "../api.js";
import { Empty, Loaded, Section } from "../components/common.js";
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

// per report: the chart, the table's columns (key, heading, the link of a cell) and where a bar leads
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
    columns: [["manager", "reports.manager"], ["in_time", "reports.inTime"], ["late", "reports.late"],
      ["open", "reports.open"], ["overdue", "reports.overdue"]],
  },
  "scores-by-week": {
    title: "reports.scoresByWeek",
    chart: (rows) => {
      const weeks = [...new Set(rows.map((row) => row.week))].sort();
      const managers = [...new Set(rows.map(managerLabel))];
      return {
        type: "line",
        data: { labels: weeks, datasets: managers.map((manager, index) => dataset(manager, weeks.map(
          (week) => rows.find((row) => row.week === week && managerLabel(row) === manager)?.average_score ?? null),
          PALETTE[index % PALETTE.length], { spanGaps: true })) },
        options: { scales: { y: { min: 0, max: 100 } } },
      };
    },
    columns: [["week", "reports.week"], ["manager", "reports.manager"], ["average_score", "reports.score"]],
  },
  "missed-items": {
    title: "reports.missedItems",
    chart: (rows) => ({
      type: "bar",
      data: { labels: rows.map((row) => row.title), datasets: [
        dataset(t("reports.timesMissed"), rows.map((row) => row.missed), COLORS.missed)] },
      options: { indexAxis: "y", scales: { x: counts() } },
    }),
    columns: [["title", "reports.item"], ["missed", "reports.timesMissed"], ["applied", "reports.applied"]],
  },
  "leads-by-source": {
    title: "reports.leadsBySource",
    chart: (rows) => ({
      type: "bar",
      data: { labels: rows.map((row) => row.source || t("reports.unknownSource")), datasets: [
        dataset(t("reports.leads"), rows.map((row) => row.leads), COLORS.other)] },
      options: { scales: { y: counts() } },
    }),
    columns: [["source", "reports.source"], ["leads", "reports.leads"]],
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
    if (spec.target) {
      chart.options.onClick = (_event, elements) => {
        if (elements.length) location.hash = spec.target(rows[elements[0].index], period);
      };
    }
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
            const content = linked && spec.target ? html`<a href=${spec.target(row, period)}>${value}</a>` : value;
            return index === 0 ? html`<th scope="row">${content}</th>` : html`<td data-key=${key}>${content}</td>`;
          })}</tr>`)}</tbody>
        </table>
      </details>`}<//>
    <a class="csv" href=${`/api/reports/${name}${query({ ...period, format: "csv" })}`} download>${t("reports.csv")}</a>
  <//>`;
}

const isoDay = (moment) => moment.toLocaleDateString("sv-SE"); // YYYY-MM-DD in local time

export function ReportsPage() {
  const [period, setPeriod] = useState(() => {
    const today = new Date();
    const monthAgo = new Date(today);
    monthAgo.setDate(today.getDate() - 29);
    return { from: isoDay(monthAgo), to: isoDay(today) };
  });
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
