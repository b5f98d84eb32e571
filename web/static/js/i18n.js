// t(key, params): the string for key in the chosen language; formatting of
// times and durations the way the department reads them.
import ru from "./strings/ru.js";

const LANGUAGES = { ru };
const LOCALES = { ru: "ru-RU" };
const language = "ru";
const strings = LANGUAGES[language];

export function t(key, params = {}) {
  let text = strings[key] ?? key;
  for (const [name, value] of Object.entries(params)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

const dateTime = new Intl.DateTimeFormat(LOCALES[language], { dateStyle: "short", timeStyle: "short" });
const timeOnly = new Intl.DateTimeFormat(LOCALES[language], { timeStyle: "short" });

export function when(iso) {
  if (!iso) return "";
  const moment = new Date(iso);
  return moment.toDateString() === new Date().toDateString() ? timeOnly.format(moment) : dateTime.format(moment);
}

const decimal = new Intl.NumberFormat(LOCALES[language], { maximumFractionDigits: 2 });

export function number(value) {
  return decimal.format(value);
}

export function duration(seconds) {
  const whole = Math.round(seconds ?? 0);
  if (whole < 60) return t("time.seconds", { s: whole });
  return t("time.minutes", { m: Math.floor(whole / 60), s: String(whole % 60).padStart(2, "0") });
}

// "1:05" for a place in a recording
export function clock(seconds) {
  const whole = Math.floor(seconds ?? 0);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}
