// The lines table (sortable, worst line marked) and the table of workshops and other loads.
// Areas are not lines, and the load no sub-meter covers ("_unassigned") is neither.
import { el, num, pct } from "./format.js";
import { asOfParts, isStale } from "./freshness.js";
import { nodeLabel, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const UNASSIGNED = "_unassigned";

// key, header label, value of a live item, digits, why it can be undefined, shown on phones
const COLUMNS = [
  { key: "kgh", label: "col_kgh", value: (v) => v.emissions_location_kg_per_h, digits: 1, phone: true },
  { key: "unit", label: "col_unit", value: (v) => v.intensity_location_kg_per_unit, digits: 3, why: "why_no_units", phone: true, lines: true },
  { key: "kwh_unit", label: "col_kwh_unit", value: (v) => v.energy_per_unit_kwh, digits: 2, why: "why_no_units", lines: true },
  { key: "power", label: "col_power", value: (v) => v.power_kw, digits: 1 },
  { key: "intensity", label: "col_intensity", value: (v) => v.intensity_location_kg_per_kwh, digits: 3, why: "why_no_energy" },
  { key: "renewable", label: "col_renewable", value: (v) => (v.renewable_share === null ? null : v.renewable_share * 100), digits: 0, why: "why_no_elec" },
  { key: "today_t", label: "col_today_t", value: (v) => v.emissions_today_location_kg / 1000, digits: 3 },
  // Lines with a state point: energy drawn idle or stopped today, and its share.
  { key: "idle", label: "col_idle", value: (v) => v.idle_today_kwh, digits: 1, why: "why_no_state", lines: true, text: idleText },
  // share of the last minute backed by good samples (the lowest of the node's meters)
  { key: "coverage", label: "coverage", value: (v) => (v.coverage == null ? null : v.coverage * 100), digits: 0, suffix: " %", why: "why_no_data", testid: "line-coverage" },
];

function idleText(v) {
  const kwh = v.idle_today_kwh;
  return kwh === null || kwh === undefined ? num(kwh, 1) : `${num(kwh, 1)} (${pct(v.idle_share_today)} %)`;
}

// A line's state now, next to its name (lines with a state point).
function stateTag(v) {
  const name = t(`st_${v.state}`);
  const label = name.startsWith("st_") ? v.state : name;
  return el("span", { class: `line-state st-${v.state}`, "data-testid": "line-state" }, label);
}

const sort = { key: null, desc: true }; // null: the plant's order

export const isLine = (node) => node?.level === "line" && node.name !== UNASSIGNED;
export const isArea = (node) => node?.level === "area";

// The worst line: highest kgCO2/unit among lines that count units, else highest kgCO2e/h.
export function worstLine(rows) {
  const withUnits = rows.filter((v) => v.intensity_location_kg_per_unit !== null && v.intensity_location_kg_per_unit !== undefined);
  const pool = withUnits.length ? withUnits : rows;
  const score = withUnits.length ? (v) => v.intensity_location_kg_per_unit : (v) => v.emissions_location_kg_per_h;
  let worst = null;
  for (const v of pool) if (score(v) > 0 && (worst === null || score(v) > score(worst))) worst = v;
  return worst ? { path: worst.path, by: withUnits.length ? "unit" : "kgh" } : null;
}

function sorted(rows) {
  if (!sort.key) return rows;
  const col = COLUMNS.find((c) => c.key === sort.key);
  const val = (v) => col.value(v);
  return [...rows].sort((a, b) => {
    const x = val(a), y = val(b);
    if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1; // undefined last
    if (y === null || y === undefined) return -1;
    return sort.desc ? y - x : x - y;
  });
}

function header(id, first, columns, sortable, onSort) {
  const cells = [el("th", {}, t(first))];
  for (const c of columns) {
    const attrs = { class: `num${c.phone ? "" : " opt"}`, "data-col": c.key };
    if (sortable && sort.key === c.key) attrs["aria-sort"] = sort.desc ? "descending" : "ascending";
    const label = sortable
      ? el("button", { type: "button", class: "sort", "data-testid": `sort-${c.key}`, title: t("sort_hint"), onclick: () => onSort(c.key) }, t(c.label))
      : t(c.label);
    cells.push(el("th", attrs, label));
  }
  cells.push(el("th", { class: "opt" }, t("col_asof")));
  $(id).replaceChildren(...cells);
}

function cell(c, v, worst) {
  const value = c.value(v);
  const undefinedValue = value === null || value === undefined;
  const attrs = { class: `num${c.phone ? "" : " opt"}${worst ? " worst-by" : ""}`, "data-col": c.key };
  if (undefinedValue && c.why) attrs.title = t(c.why);
  if (c.testid) attrs["data-testid"] = c.testid;
  if (c.text) return el("td", attrs, c.text(v));
  return el("td", attrs, undefinedValue || !c.suffix ? num(value, c.digits) : `${num(value, c.digits)}${c.suffix}`);
}

function row(v, node, columns, worst, testid) {
  const stale = isStale(v);
  const isWorst = worst?.path === v.path;
  const name = node?.name === UNASSIGNED ? t("unassigned") : nodeLabel(node) || v.path;
  const label = [name];
  if (isWorst) label.push(" ", el("span", { class: "worst-tag", "data-testid": "worst-tag" }, t("worst")));
  if (v.state) label.push(" ", stateTag(v));
  return el(
    "tr",
    {
      class: `${stale ? "stale" : ""}${isWorst ? " worst" : ""}`,
      "data-path": v.path,
      "data-testid": testid,
      "data-stale": String(stale),
      "data-worst": String(isWorst),
    },
    el("td", { class: "name" }, ...label),
    ...columns.map((c) => cell(c, v, isWorst && worst.by === c.key)),
    el("td", { class: "asof opt", "data-testid": "line-asof" }, ...asOfParts(v, el)),
  );
}

// rows: live items in the plant's order; nodesByPath: the tree.
export function renderLines(rows, nodesByPath, rerender) {
  const lines = rows.filter((v) => isLine(nodesByPath.get(v.path)));
  const areas = rows.filter((v) => isArea(nodesByPath.get(v.path)));
  const worst = worstLine(lines);
  const onSort = (key) => {
    sort.desc = sort.key === key ? !sort.desc : true;
    sort.key = key;
    rerender();
  };
  header("lines-head", "col_line", COLUMNS, true, onSort);
  $("lines-body").replaceChildren(...sorted(lines).map((v) => row(v, nodesByPath.get(v.path), COLUMNS, worst, "line-row")));
  const areaColumns = COLUMNS.filter((c) => !c.lines);
  header("areas-head", "col_area", areaColumns, false, null);
  $("areas-body").replaceChildren(...areas.map((v) => row(v, nodesByPath.get(v.path), areaColumns, null, "area-row")));
}
