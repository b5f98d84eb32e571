import { html, useEffect, useRef, useState } from "../../vendor/htm-preact.mjs";
import { api } from "../api.js";
import { t } from "../i18n.js";

export function LoginPage({ onLogin }) {
  const [failed, setFailed] = useState("");
  const [busy, setBusy] = useState(false);
  const username = useRef(null);
  useEffect(() => username.current.focus(), []); // autofocus only works in HTML the page loaded with

  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.target);
    setBusy(true);
    try {
      const result = await api("POST", "/auth/login", { username: form.get("username"), password: form.get("password") });
      onLogin(result.user);
    } catch (error) {
      setFailed(error.status === 401 ? t("login.failed") : error.message);
    } finally {
      setBusy(false);
    }
  }

  return html`<main class="login" id="main">
    <form class="card" onSubmit=${submit} aria-labelledby="login-title">
      <h1 id="login-title">${t("app.title")}: ${t("login.title").toLowerCase()}</h1>
      <label>${t("login.username")}<input name="username" ref=${username} autocomplete="username" required /></label>
      <label>${t("login.password")}<input name="password" type="password" autocomplete="current-password" required /></label>
      ${failed && html`<p class="error" role="alert">${failed}</p>`}
      <button type="submit" disabled=${busy}>${t("login.submit")}</button>
    </form>
  </main>`;
}
