// Rendering of the cards from plain data; no state lives here.
import { el, num, pct, time } from "./format.js";
import { asOfParts, isStale } from "./freshness.js";
import { nodeLabel, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

function setText(id, text) {
  const node = $(id);
  if (node && node.textContent !== text) node.textContent = text;
}

export function renderSite(site) {
  if (!site) return;
  setText("kpi-power", num(site.power_kw, 1));
  setText("kpi-intensity", num(site.intensity_location_kg_per_kwh, 3));
  setText("kpi-intensity-mkt", num(site.intensity_market_kg_per_kwh, 3));
  setText("kpi-renewable", pct(site.renewable_share));
  $("renewable-meter").value = site.renewable_share ?? 0;
  setText("today-energy", num(site.energy_today_kwh, 1));
  setText("today-s1", num(site.scope1_today_kg, 1));
  setText("today-s2l", num(site.scope2_location_today_kg, 1));
  setText("today-s2m", num(site.scope2_market_today_kg, 1));
  setText("today-units", num(site.units_today, 0));
}

// The site cards' as-of line, greyed and marked when the site's data is stale.
export function renderSiteFreshness(site) {
  const stale = !site || isStale(site);
  for (const id of ["c-site", "c-today"]) $(id).classList.toggle("stale", stale);
  for (const id of ["site-asof", "today-asof"]) $(id).replaceChildren(...(site ? asOfParts(site, el) : []));
}

export function renderLines(rows, nodesByPath) {
  const body = $("lines-body");
  body.replaceChildren(
    ...rows.map((v) => {
      const node = nodesByPath.get(v.path);
      const level = node ? node.level : "line";
      const emitted = v.scope1_today_kg + v.scope2_location_today_kg;
      const stale = isStale(v);
      return el(
        "tr",
        { class: `lvl-${level}${stale ? " stale" : ""}`, "data-path": v.path, "data-testid": "line-row", "data-stale": String(stale) },
        el("td", {}, nodeLabel(node) || v.path),
        el("td", { class: "num" }, num(v.power_kw, 1)),
        el("td", { class: "num strong", "data-testid": "line-intensity" }, num(v.intensity_location_kg_per_kwh, 3)),
        el("td", { class: "num" }, num(v.intensity_kg_per_unit, 3)),
        el("td", { class: "num" }, num(v.energy_per_unit_kwh, 3)),
        el("td", { class: "num" }, `${pct(v.renewable_share)} %`),
        el("td", { class: "num" }, num(v.energy_today_kwh, 1)),
        el("td", { class: "num" }, num(emitted, 1)),
        idleCell(v),
        el("td", { class: "asof", "data-testid": "line-asof" }, ...asOfParts(v, el)),
      );
    }),
  );
}

// A line with a state point: today's idle energy (idle or stopped), its share, the state now.
function idleCell(v) {
  const cell = el("td", { class: "num", "data-testid": "line-idle" });
  if (v.idle_today_kwh === null || v.idle_today_kwh === undefined) return cell;
  cell.append(`${num(v.idle_today_kwh, 1)} (${pct(v.idle_share_today)} %)`);
  if (v.state) {
    const name = t(`st_${v.state}`).startsWith("st_") ? v.state : t(`st_${v.state}`);
    cell.append(" ", el("span", { class: `line-state st-${v.state}`, "data-testid": "line-state" }, name));
  }
  return cell;
}

export function renderAlerts(alerts, nodesByPath, onAck) {
  const active = alerts.filter((a) => a.state !== "cleared");
  setText("alert-count", String(active.length));
  $("no-alerts").hidden = active.length > 0;
  $("alerts").replaceChildren(...active.map((a) => alertItem(a, nodesByPath, onAck)));
}

function alertItem(a, nodesByPath, onAck) {
  const acked = a.state === "acknowledged";
  const action = acked
    ? el("span", { class: "acked", "data-testid": "alert-acked" }, `${t("acked")} · ${t("by")} ${a.acked_by ?? ""}`)
    : el("button", { class: "btn ack", type: "button", "data-testid": "ack", onclick: () => onAck(a.id) }, t("ack"));
  return el(
    "li",
    { class: `alert sev-${a.severity} st-${a.state}`, "data-id": a.id, "data-testid": "alert" },
    el("span", { class: "sev" }, t(a.severity)),
    el(
      "div",
      { class: "alert-body" },
      el("div", { class: "alert-msg" }, a.message),
      el("div", { class: "muted" }, `${nodeLabel(nodesByPath.get(a.node)) || a.node} · ${time(a.raised_ts)}`),
    ),
    action,
  );
}

export function renderDevices(devices) {
  $("devices-body").replaceChildren(
    ...devices.map((d) =>
      el(
        "tr",
        { "data-testid": "device-row", "data-device": d.device },
        el("td", {}, d.device),
        el("td", {}, el("span", { class: `dot st-${d.state}` }), " ", t(d.state)),
        el("td", {}, time(d.last_seen)),
        el("td", { class: `q-${d.quality}` }, d.quality === "unknown" ? t("unknown") : d.quality),
      ),
    ),
  );
}
