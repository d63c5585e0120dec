// Thin fetch helpers over /api/v1; errors carry the server's "detail" message.
import { authorisedFetch } from "./auth.js";
import { followStream } from "./stream.js";

const BASE = "/api/v1";

async function request(path, options = {}) {
  const response = await authorisedFetch(BASE + path, { headers: { Accept: "application/json" }, ...options });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      detail = (await response.json()).detail ?? detail;
    } catch {
      // not JSON: keep the status text
    }
    const error = new Error(detail);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

export const getTree = () => request("/tree");
export const getLive = () => request("/live");
export const getDevices = () => request("/devices");
export const getAlerts = () => request("/alerts");

export function getHistory(node, metric, startMs, endMs, interval) {
  const q = new URLSearchParams({ node, metric, start: String(startMs), end: String(endMs), interval });
  return request(`/history?${q}`);
}

export function ackAlert(id, by) {
  return request(`/alerts/${encodeURIComponent(id)}/ack`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ by }),
  });
}

export function openStream(handlers) {
  return followStream(`${BASE}/stream`, handlers);
}
