// useApi(path): what GET /api<path> answers, loaded when path changes (null: nothing to load).
// useLive(handlers): the login's live events (GET /api/live, Server-Sent Events), each
// event's data to the handler of its name.
import { useCallback, useEffect, useRef, useState } from "../vendor/htm-preact.mjs";
import { api } from "./api.js";

export function useApi(path) {
  const [state, setState] = useState({ data: null, error: null, loading: path !== null });
  const load = useCallback(() => {
    if (path === null) return setState({ data: null, error: null, loading: false });
    setState((previous) => ({ ...previous, loading: true }));
    api("GET", path).then(
      (data) => setState({ data, error: null, loading: false }),
      (error) => setState({ data: null, error, loading: false }),
    );
  }, [path]);
  useEffect(load, [load]);
  return { ...state, reload: load };
}

export function useLive(handlers) {
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    const source = new EventSource("/api/live");
    for (const name of Object.keys(latest.current)) {
      source.addEventListener(name, (event) => latest.current[name]?.(JSON.parse(event.data)));
    }
    return () => source.close();
  }, []);
}
