// The only way the app gets data: the REST API under /api, with the session
// cookie the login set. A request that changes something carries
// X-Requested-With, which the API requires of cookie sessions (CSRF).
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function api(method, path, body) {
  const headers = { "X-Requested-With": "callcenter-web" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/api${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const json = (response.headers.get("Content-Type") ?? "").includes("json") ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

export function query(params) {
  const pairs = Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== "");
  return pairs.length ? `?${new URLSearchParams(pairs)}` : "";
}
