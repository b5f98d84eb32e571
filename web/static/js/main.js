// The app: who is logged in (GET /api/auth/me), the page the address names,
// and, for a manager, the incoming-call pop-ups.
import { html, render, useEffect, useState } from "../vendor/htm-preact.mjs";
import { api } from "./api.js";
import { RingingPopups } from "./components/popup.js";
import { AdminPage } from "./pages/admin.js";
import { t } from "./i18n.js";
import { CallPage } from "./pages/call.js";
import { CallsPage } from "./pages/calls.js";
import { LoginPage } from "./pages/login.js";
import { PlaylistPage } from "./pages/playlist.js";
import { ReportsPage } from "./pages/reports.js";
import { TodayPage } from "./pages/today.js";
import { TrainingPage } from "./pages/training.js";
import { link, useRoute } from "./router.js";

const CONFIGURES = new Set(["rop", "admin"]);

const administration = (route, user) => html`<${AdminPage} key=${route.params[0]} user=${user} tab=${route.params[0]} />`;

function Page({ route, user }) {
  if (user.role === "admin") { // an admin configures and sees no call data
    return route.name === "admin" || route.name === "today" ? administration(route, user) : html`<${NotFound} />`;
  }
  switch (route.name) {
    case "today": return html`<${TodayPage} user=${user} />`;
    case "calls": return html`<${CallsPage} key=${JSON.stringify(route.query)} user=${user} address=${route.query} />`;
    case "reports": return user.role === "rop" ? html`<${ReportsPage} />` : html`<${NotFound} />`;
    case "call": return html`<${CallPage} key=${route.params[0]} id=${route.params[0]} user=${user} />`;
    case "training": return html`<${TrainingPage} user=${user} />`;
    case "playlist": return html`<${PlaylistPage} key=${route.params[0]} id=${route.params[0]} user=${user} />`;
    case "admin": return CONFIGURES.has(user.role) ? administration(route, user) : html`<${NotFound} />`;
    default: return html`<${NotFound} />`;
  }
}

function NotFound() {
  return html`<main id="main" tabindex="-1" class="page"><p class="error">${t("app.notFound")}</p></main>`;
}

function Layout({ user, route, onLogout, children }) {
  async function logout() {
    await api("POST", "/auth/logout").catch(() => null);
    onLogout();
  }
  const section = user.role === "admin" ? "admin" : { call: "calls", playlist: "training" }[route.name] ?? route.name;
  const callData = user.role !== "admin";
  const current = (name) => (section === name ? "page" : undefined);
  return html`
    <a class="skip" href="#main" onClick=${(event) => { event.preventDefault(); document.getElementById("main")?.focus(); }}>${t("app.skip")}</a>
    <header class="top">
      <strong class="brand">${t("app.title")}</strong>
      <nav aria-label=${t("nav.main")}>
        ${callData && html`
          <a href=${link("/")} aria-current=${current("today")}>${t("nav.today")}</a>
          <a href=${link("/calls")} aria-current=${current("calls")}>${t("nav.calls")}</a>
          <a href=${link("/training")} aria-current=${current("training")}>${t("nav.training")}</a>`}
        ${user.role === "rop" && html`<a href=${link("/reports")} aria-current=${current("reports")}>${t("nav.reports")}</a>`}
        ${CONFIGURES.has(user.role) && html`<a href=${link("/admin")} aria-current=${current("admin")}>${t("nav.admin")}</a>`}
      </nav>
      <span class="user">${user.username} <small>${t(`role.${user.role}`)}</small></span>
      <button type="button" class="secondary" onClick=${logout}>${t("nav.logout")}</button>
    </header>
    ${user.role === "manager" && user.manager_id !== null && html`<${RingingPopups} />`}
    ${children}`;
}

function App() {
  const [user, setUser] = useState(undefined); // undefined: not known yet; null: logged out
  const route = useRoute();
  useEffect(() => {
    api("GET", "/auth/me").then(setUser, () => setUser(null));
  }, []);
  if (user === undefined) return html`<p class="loading">${t("app.loading")}</p>`;
  if (user === null) return html`<${LoginPage} onLogin=${setUser} />`;
  return html`<${Layout} user=${user} route=${route} onLogout=${() => setUser(null)}>
    <${Page} route=${route} user=${user} />
  <//>`;
}

document.title = t("app.title");
render(html`<${App} />`, document.getElementById("app"));
