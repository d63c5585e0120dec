// The Period page: month and year to date from GET /api/v1/reports/{month|year}: indicators
// against targets, gross / reduction / offsets / net, renewable share by both matching methods.
import { authorisedFetch } from "./auth.js";
import { el } from "./format.js";
import { applyPeriodLabels, lang, p, toggle } from "./period-i18n.js";

const reports = new Map(); // kind -> report JSON

async function fetchReport(kind) {
  const response = await authorisedFetch(`/api/v1/reports/${kind}`, { headers: { Accept: "application/json" } });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      detail = (await response.json()).detail ?? detail;
    } catch {
      // not JSON
    }
    throw new Error(detail);
  }
  return response.json();
}

export function fixed(value, digits) {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

// A number with its unit; data-value holds the JSON value for anyone (or any test) to check.
function figure(testid, value, unit, digits, share = false) {
  if (value === null || value === undefined) return el("span", { class: "v na", "data-testid": testid }, "—");
  const shown = share ? fixed(value * 100, 1) : fixed(value, digits);
  const node = el("span", { class: "v", "data-testid": testid, "data-value": String(value) }, shown);
  return el("span", {}, node, " ", el("span", { class: "u" }, share ? "%" : unit));
}

function kpi(label, content) {
  return el("div", { class: "kpi" }, el("span", { class: "k" }, label), content);
}

function indicatorRow(kind, ind, i) {
  const share = ind.unit === "" || ind.unit === "1"; // fractions: shown in %
  const label = lang() === "zh" ? ind.label_zh : ind.label_en;
  const cmp = ind.comparison === "max" ? "≤ " : ind.comparison === "min" ? "≥ " : "";
  const target = ind.target === null ? el("span", { class: "muted" }, p("no_target")) : el("span", {}, cmp, figure(`${kind}-ind-${i}-target`, ind.target, ind.unit, 3, share));
  const result = ind.passed === null ? "—" : p(ind.passed ? "pass" : "fail");
  const css = ind.passed === null ? "" : ind.passed ? "pass" : "fail";
  return el(
    "tr",
    { "data-indicator": ind.id },
    el("td", { class: "wrap", title: ind.formula }, label),
    el("td", { class: "num" }, figure(`${kind}-ind-${i}-value`, ind.value, ind.unit, 3, share)),
    el("td", { class: "num" }, target),
    el("td", { class: css, "data-testid": `${kind}-ind-${i}-result` }, result),
  );
}

async function download(period, format) {
  const response = await authorisedFetch(`/api/v1/reports/${period}?format=${format}`);
  const url = URL.createObjectURL(await response.blob());
  const a = el("a", { href: url, download: `report-${period}.${format === "csv" ? "zip" : "json"}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function render(kind) {
  const card = document.querySelector(`[data-kind=${kind}]`);
  const r = reports.get(kind);
  const heading = card.querySelector("h2");
  card.replaceChildren(heading);
  if (!r) return;
  const head = r.report;
  heading.querySelector("[data-field=key]").textContent = head.period.key;
  document.getElementById("site-name").textContent = lang() === "zh" ? head.site.label_zh : head.site.label_en;
  card.append(el("p", { class: "asof" }, `${p("as_of")} ${head.as_of}`));
  const net = r.offsets?.net ?? null;
  const gross = net ? net.gross_t : r.emissions.gross_market_kg === null ? null : r.emissions.gross_market_kg / 1000;
  card.append(
    el(
      "div",
      { class: "kpi-grid" },
      kpi(p("gross"), figure(`${kind}-gross`, gross, "tCO₂", 3)),
      kpi(p("reduction"), figure(`${kind}-reduction`, net ? net.reduction_t : null, "tCO₂", 3)),
      kpi(p("offsets"), figure(`${kind}-offsets`, net ? net.offsets_t : null, "tCO₂e", 3)),
      kpi(p("net"), figure(`${kind}-net`, net ? net.net_t : null, "tCO₂e", 3)),
      kpi(p("zero_carbon"), el("span", { class: `v ${net?.zero_carbon ? "pass" : "fail"}`, "data-testid": `${kind}-zero` }, net ? p(net.zero_carbon ? "yes" : "no") : "—")),
    ),
  );
  if (net && (net.reasons ?? net.failed_rules).length) {
    card.append(el("ul", { class: "reasons", "data-testid": `${kind}-reasons` }, ...(net.reasons ?? net.failed_rules).map((x) => el("li", {}, x))));
  }
  const inst = r.instruments ?? {};
  card.append(el("h3", {}, p("renewable")));
  card.append(
    el(
      "div",
      { class: "kpi-grid" },
      kpi(p("annual"), figure(`${kind}-res-annual`, inst.renewable_share_annual ?? null, "%", 1, true)),
      kpi(p("hourly"), figure(`${kind}-res-hourly`, inst.hourly_score ?? null, "%", 1, true)),
    ),
  );
  card.append(el("h3", {}, p("indicators")));
  const rows = r.indicators.map((ind, i) => indicatorRow(kind, ind, i));
  const thead = el("thead", {}, el("tr", {}, ...["indicator", "value", "target", "result"].map((k) => el("th", { class: k === "indicator" || k === "result" ? "" : "num" }, p(k)))));
  card.append(el("table", { class: "grid", "data-testid": `${kind}-indicators` }, thead, el("tbody", {}, ...rows)));
  if (r.missing.length) {
    card.append(el("p", { class: "muted", "data-testid": `${kind}-missing` }, `${p("missing")}: ${r.missing.map((m) => m.key).join(", ")}`));
  }
  if (r.recompute) {
    const ok = r.recompute.equal;
    card.append(el("p", { class: ok ? "pass" : "fail", "data-testid": `${kind}-recompute` }, p(ok ? "recompute_ok" : "recompute_bad")));
  }
  // The running period's key ("month"), not its name: the API keeps that report for a while,
  // so the printable page shows the very report (and digest) this card shows.
  const key = kind;
  const printable = el("a", { class: "btn", href: `/static/report.html?period=${encodeURIComponent(key)}&lang=${lang()}`, "data-testid": `${kind}-printable` }, p("printable"));
  const json = el("button", { class: "btn", type: "button" }, p("json"));
  json.addEventListener("click", () => download(key, "json"));
  const csv = el("button", { class: "btn", type: "button" }, p("csv"));
  csv.addEventListener("click", () => download(key, "csv"));
  card.append(el("div", { class: "links" }, printable, json, csv));
}

async function load(kind) {
  const card = document.querySelector(`[data-kind=${kind}]`);
  card.append(el("p", { class: "muted" }, p("loading")));
  try {
    reports.set(kind, await fetchReport(kind));
    render(kind);
  } catch (error) {
    const banner = document.getElementById("banner");
    banner.textContent = `${p(kind)}: ${error.message}`;
    banner.hidden = false;
  } finally {
    card.setAttribute("aria-busy", "false");
  }
}

applyPeriodLabels();
document.getElementById("lang").addEventListener("click", () => {
  toggle();
  for (const kind of reports.keys()) render(kind);
});
load("month").then(() => load("year"));
