// Routes live in the address's hash (#/calls/12), so the server serves one page.
import { useEffect, useState } from "../vendor/htm-preact.mjs";

const ROUTES = [
  ["today", /^\/$/],
  ["calls", /^\/calls$/],
  ["call", /^\/calls\/(\d+)$/],
  ["reports", /^\/reports$/],
  ["training", /^\/training$/],
  ["playlist", /^\/playlists\/(\d+)$/],
  ["admin", /^\/admin(?:\/([a-z]+))?$/],
];

// "#/calls?manager=3" -> { name: "calls", params: [], query: { manager: "3" } }
export function parse(hash) {
  const [path, search = ""] = (hash.replace(/^#/, "") || "/").split("?");
  const query = Object.fromEntries(new URLSearchParams(search));
  for (const [name, pattern] of ROUTES) {
    const match = pattern.exec(path || "/");
    if (match) return { name, params: match.slice(1), query };
  }
  return { name: "notFound", params: [], query };
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

export const link = (path, query = {}) => {
  const search = new URLSearchParams(Object.entries(query).filter(([, value]) => value !== undefined && value !== null));
  return `#${path}${search.size ? `?${search}` : ""}`;
};
