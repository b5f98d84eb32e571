// Administration (the head of sales and admins): managers, groups, routing
// rules per number, sales scripts and logins, one tab each (#/admin/<tab>).
import { html } from "../../vendor/htm-preact.mjs";
import { t } from "../i18n.js";
import { link } from "../router.js";
import { GroupsAdmin } from "./admin/groups.js";
import { ManagersAdmin } from "./admin/managers.js";
import { RoutingAdmin } from "./admin/routing.js";
import { ScriptsAdmin } from "./admin/scripts.js";
import { UsersAdmin } from "./admin/users.js";

const TABS = {
  managers: ManagersAdmin,
  groups: GroupsAdmin,
  routing: RoutingAdmin,
  scripts: ScriptsAdmin,
  users: UsersAdmin,
};

export function AdminPage({ user, tab = "managers" }) {
  const Tab = TABS[tab];
  return html`<main id="main" tabindex="-1" class="page">
    <h1>${t("admin.title")}</h1>
    <nav class="tabs" aria-label=${t("admin.title")}>${Object.keys(TABS).map((name) => html`
      <a key=${name} href=${link(`/admin/${name}`)} aria-current=${name === tab ? "page" : undefined}>${t(`admin.${name}`)}</a>`)}
    </nav>
    ${Tab ? html`<${Tab} user=${user} />` : html`<p class="error">${t("app.notFound")}</p>`}
  </main>`;
}
