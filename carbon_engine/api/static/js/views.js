// Rendering of the site cards and the devices table from plain data; no state lives here.
import { el, num, pct, time, zoneLabel } from "./format.js";
import { asOfParts, isStale } from "./freshness.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const PARTS = ["onsite", "gec", "ppa", "green_power_trading"];
// Carriers in their base units, as the API names them (carriers_today).
const CARRIER_UNITS = {
  electricity_kwh: "kWh", natural_gas_nm3: "Nm³", steam_t: "t", diesel_t: "t", lpg_t: "t", coal_t: "t",
  heat_gj: "GJ", hydrogen_kg: "kg",
};

function setText(id, text) {
  const node = $(id);
  if (node && node.textContent !== text) node.textContent = text;
}

// A value, or "—" with a tooltip saying why it is undefined.
function setValue(id, value, digits, why) {
  setText(id, num(value, digits));
  const node = $(id);
  if (value === null || value === undefined) node.setAttribute("title", t(why));
  else node.removeAttribute("title");
}

export function renderNow(site) {
  if (!site) return;
  setText("now-loc", num(site.emissions_location_kg_per_h, 1));
  setText("now-mkt", num(site.emissions_market_kg_per_h, 1));
  setText("now-today-loc", num(site.emissions_today_location_kg / 1000, 3));
  setText("now-today-mkt", num(site.emissions_today_market_kg / 1000, 3));
}

export function renderSite(site) {
  if (!site) return;
  setText("kpi-power", num(site.power_kw, 1));
  setValue("kpi-elec-loc", site.intensity_electricity_location_kg_per_kwh, 3, "why_no_elec");
  setValue("kpi-elec-mkt", site.intensity_electricity_market_kg_per_kwh, 3, "why_no_elec");
  setValue("kpi-intensity", site.intensity_location_kg_per_kwh, 3, "why_no_energy");
  setValue("kpi-intensity-mkt", site.intensity_market_kg_per_kwh, 3, "why_no_energy");
  setValue("kpi-renewable", site.renewable_share === null ? null : site.renewable_share * 100, 0, "why_no_elec");
  $("renewable-meter").value = site.renewable_share ?? 0;
  renderParts(site.renewable_parts ?? {});
  renderCarriers(site.carriers_today ?? {});
  setText("today-energy", num(site.energy_today_kwh, 1));
  setText("today-s1", num(site.scope1_today_kg, 1));
  setText("today-s2l", num(site.scope2_location_today_kg, 1));
  setText("today-s2m", num(site.scope2_market_today_kg, 1));
  setText("today-units", num(site.units_today, 0));
}

// The renewable share's sources: on-site PV, certificates, PPAs (only those that count).
function renderParts(parts) {
  const shown = PARTS.filter((k) => (parts[k] ?? 0) > 0 || k === "onsite");
  $("renewable-parts").replaceChildren(
    ...shown.map((k) =>
      el("li", { "data-part": k }, el("span", {}, t(`part_${k}`)), " ", el("span", { class: "pv" }, `${pct(parts[k] ?? 0)} %`)),
    ),
  );
}

function renderCarriers(carriers) {
  $("carriers").replaceChildren(
    ...Object.entries(carriers).map(([key, value]) =>
      el(
        "div",
        { class: "kpi", "data-carrier": key, "data-testid": "carrier" },
        el("span", { class: "k" }, t(`carrier_${key}`)),
        el("span", { class: "v" }, num(value, key === "steam_t" ? 2 : 1)),
        el("span", { class: "u" }, CARRIER_UNITS[key] ?? ""),
      ),
    ),
  );
}

// The site cards' as-of line, greyed and marked when the site's data is stale.
export function renderSiteFreshness(site) {
  const stale = !site || isStale(site);
  for (const id of ["c-now", "c-site", "c-today"]) $(id).classList.toggle("stale", stale);
  for (const id of ["now-asof", "site-asof", "today-asof"]) $(id).replaceChildren(...(site ? asOfParts(site, el) : []));
}

export function renderDevices(devices) {
  setText("devices-zone", zoneLabel());
  $("devices-body").replaceChildren(
    ...devices.map((d) =>
      el(
        "tr",
        { "data-testid": "device-row", "data-device": d.device },
        el("td", {}, d.device),
        el("td", {}, el("span", { class: `dot st-${d.state}` }), " ", t(d.state)),
        el("td", {}, time(d.last_seen)),
        el("td", { class: `q-${d.quality}` }, t(`q_${d.quality}`)),
      ),
    ),
  );
}
