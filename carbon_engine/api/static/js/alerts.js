// Active alerts grouped by rule or by device, with counts and "acknowledge all" per group.
import { el, zonedTime } from "./format.js";
import { alertMessage, nodeLabel, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const RANK = { critical: 3, warning: 2, info: 1 };
const closed = new Set(); // groups the operator folded, kept across redraws

let mode = "rule";

export function groupMode(next) {
  if (next) mode = next;
  return mode;
}

function subjectLabel(a, nodesByPath) {
  return nodeLabel(nodesByPath.get(a.node)) || a.node;
}

function groupsOf(active) {
  const groups = new Map();
  for (const a of active) {
    const key = mode === "rule" ? a.rule : a.node;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(a);
  }
  const severity = (items) => Math.max(...items.map((a) => RANK[a.severity] ?? 0));
  return [...groups.entries()].sort((x, y) => severity(y[1]) - severity(x[1]) || y[1].length - x[1].length);
}

function groupTitle(key, items, nodesByPath) {
  if (mode === "device") return subjectLabel(items[0], nodesByPath);
  const texts = new Set(items.map(alertMessage));
  return texts.size === 1 ? [...texts][0] : `${t("rule")} ${key}`;
}

function alertItem(a, nodesByPath, onAck) {
  const acked = a.state === "acknowledged";
  const action = acked
    ? el("span", { class: "acked", "data-testid": "alert-acked" }, `${t("acked")} · ${t("by")} ${a.acked_by ?? ""}`)
    : el("button", { class: "btn ack", type: "button", "data-testid": "ack", onclick: () => onAck([a.id]) }, t("ack"));
  // By rule the message is the group's title, so an item names its subject; by device, the rule's message.
  const what = mode === "rule" ? subjectLabel(a, nodesByPath) : alertMessage(a);
  return el(
    "li",
    { class: `alert sev-${a.severity} st-${a.state}`, "data-id": a.id, "data-testid": "alert" },
    el("span", { class: "sev" }, t(a.severity)),
    el("div", { class: "alert-body" }, el("div", { class: "alert-msg" }, what), el("div", { class: "muted" }, zonedTime(a.raised_ts))),
    action,
  );
}

function group(key, items, nodesByPath, onAck) {
  const open = items.filter((a) => a.state === "raised");
  const worst = items.reduce((w, a) => ((RANK[a.severity] ?? 0) > (RANK[w.severity] ?? 0) ? a : w), items[0]);
  const id = `${mode}:${key}`;
  const details = el("details", { class: `group sev-${worst.severity}`, "data-testid": "alert-group", "data-group": key, open: !closed.has(id) });
  details.addEventListener("toggle", () => (details.open ? closed.delete(id) : closed.add(id)));
  const ackAll = open.length
    ? el("button", { class: "btn small", type: "button", "data-testid": "ack-all", onclick: (ev) => { ev.preventDefault(); onAck(open.map((a) => a.id)); } }, `${t("ack_all")} (${open.length})`)
    : "";
  details.append(
    el(
      "summary",
      {},
      el("span", { class: "sev" }, t(worst.severity)),
      el("span", { class: "group-title" }, groupTitle(key, items, nodesByPath)),
      el("span", { class: "count", "data-testid": "group-count" }, String(items.length)),
      ackAll,
    ),
    el("ul", { class: "alert-list" }, ...items.map((a) => alertItem(a, nodesByPath, onAck))),
  );
  return details;
}

// onAck(ids): acknowledge those alerts.
export function renderAlerts(alerts, nodesByPath, onAck) {
  const active = alerts.filter((a) => a.state !== "cleared").sort((x, y) => y.raised_ts - x.raised_ts);
  const count = $("alert-count");
  if (count.textContent !== String(active.length)) count.textContent = String(active.length);
  $("no-alerts").hidden = active.length > 0;
  for (const m of ["rule", "device"]) $(`group-${m}`).classList.toggle("on", m === mode);
  $("alerts").replaceChildren(...groupsOf(active).map(([key, items]) => group(key, items, nodesByPath, onAck)));
}
