// How old each live value is: the server's age_s when the list arrived plus the time since,
// so values keep ageing on screen while no data comes (devices stopped, stream down).
import { time } from "./format.js";
import { t } from "./i18n.js";

let receivedAt = performance.now();

export function received() {
  receivedAt = performance.now();
}

export function ageOf(v) {
  if (!v || v.age_s === null || v.age_s === undefined) return null;
  return v.age_s + (performance.now() - receivedAt) / 1000;
}

export function isStale(v) {
  const age = ageOf(v);
  return !v || v.stale || age === null || age > v.stale_after_s;
}

// The header badge: stale when the site's data is, delayed when it is past half its limit or
// any node shown is stale, else live.
export function badgeKey(site, rows) {
  if (!site) return "conn_wait";
  if (isStale(site)) return "conn_stale";
  if (ageOf(site) > site.stale_after_s / 2 || rows.some(isStale)) return "conn_delayed";
  return "conn_live";
}

function agoText(age) {
  if (age === null) return t("no_data");
  if (age < 120) return t("ago_s").replace("{n}", String(Math.round(age)));
  if (age < 7200) return t("ago_min").replace("{n}", String(Math.round(age / 60)));
  return t("ago_h").replace("{n}", String(Math.round(age / 3600)));
}

// "as of 10:42:07 (5 s ago)", with a stale mark when it is; a fresh list of nodes each call.
export function asOfParts(v, el) {
  const age = ageOf(v);
  const text = age === null ? t("no_data") : `${t("as_of")} ${time(v.ts)} (${agoText(age)})`;
  const parts = [text];
  if (isStale(v)) parts.push(" ", el("span", { class: "stale-tag", "data-testid": "stale-tag" }, t("stale")));
  return parts;
}
