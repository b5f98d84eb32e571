// useApi(path): what GET /api<path> answers, loaded when path changes (null: nothing to load).
import { useCallback, useEffect, useState } from "../vendor/htm-preact.mjs";
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
