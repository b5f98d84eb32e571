// Routes live in the address's hash (#/calls/12), so the server serves one page.
import { useEffect, useState } from "../vendor/htm-preact.mjs";

const ROUTES = [
  ["today", /^\/$/],
  ["calls", /^\/calls$/],
  ["call", /^\/calls\/(\d+)$/],
];

export function parse(hash) {
  const path = hash.replace(/^#/, "") || "/";
  for (const [name, pattern] of ROUTES) {
    const match = pattern.exec(path);
    if (match) return { name, params: match.slice(1) };
  }
  return { name: "notFound", params: [] };
}

export function useRoute() {
  const [route, setRoute] = useState(parse(location.hash));
  useEffect(() => {
    const follow = () => setRoute(parse(location.hash));
    addEventListener("hashchange", follow);
    return () => removeEventListener("hashchange", follow);
  }, []);
  return route;
}

export const link = (path) => `#${path}`;
