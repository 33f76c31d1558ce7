// The JSON API and the run socket, as the pages use them (paths and messages: docs/api.md).

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) return meta.content;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export class ApiError extends Error {
  constructor(status, body) {
    const errors = (body && body.errors) || [];
    const text = errors.length
      ? errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join("; ")
      : (body && (body.detail || body.message)) || `HTTP ${status}`;
    super(text);
    this.status = status;
    this.errors = errors;
  }
}

export async function request(method, url, body) {
  const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.headers["X-CSRFToken"] = csrfToken();
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  let data = null;
  const text = await response.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = { detail: text.slice(0, 200) }; }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const startScenarioRun = (slug, options = {}) => request("POST", `/api/scenarios/${slug}/runs`, options);
export const createTopology = (body) => request("POST", "/api/topologies", body);
export const updateTopology = (id, body) => request("PUT", `/api/topologies/${id}`, body);
export const startTopologyRun = (id, options = {}) => request("POST", `/api/topologies/${id}/runs`, options);
export const getRun = (id) => request("GET", `/api/runs/${id}${withKey("?")}`);

// A link holder's key, from the page's own ?key= (a run's or its topology's link): the run's
// API and socket need it as the page did, or a viewer who is not the starter gets 404.
function withKey(separator) {
  const key = new URLSearchParams(location.search).get("key");
  return key ? `${separator}key=${encodeURIComponent(key)}` : "";
}

// Every stored event with seq > after, page by page, in order; onPage(events) sees each page.
export async function fetchEvents(runId, after = -1, onPage = () => {}, until = Infinity) {
  const all = [];
  let cursor = after;
  for (;;) {
    const page = await request("GET", `/api/runs/${runId}/events?after=${cursor}&limit=5000${withKey("&")}`);
    const events = (page.events || []).filter((e) => e.seq <= until);
    if (!events.length) break;
    for (const e of events) all.push(e);
    cursor = events[events.length - 1].seq;
    onPage(events);
    if (cursor >= until) break; // last_seq is the last of this page, not of the run: go on until empty
  }
  return all;
}

export function runSocket(runId, after) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return new WebSocket(`${scheme}://${location.host}/ws/runs/${runId}/?after=${after}${withKey("&")}`);
}
