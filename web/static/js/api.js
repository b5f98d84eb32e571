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

// body: sent as JSON, or as it is when it comes with another content type (a script's YAML)
export async function api(method, path, body, type = "application/json") {
  const headers = { "X-Requested-With": "callcenter-web" };
  if (body !== undefined) headers["Content-Type"] = type;
  const response = await fetch(`/api${path}`, {
    method,
    headers,
    body: body === undefined || type !== "application/json" ? body : JSON.stringify(body),
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
