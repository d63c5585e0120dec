// Number and time formatting shared by the views. Times are shown in the site's time zone
// (set once the tree is known) with its UTC offset, wherever the browser is.
let siteZone;

export function setTimeZone(zone) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    siteZone = zone || undefined;
  } catch {
    siteZone = undefined; // an unknown zone: the browser's own
  }
}

// Options that put a date formatter in the site's zone.
export function zoneOptions() {
  return { timeZone: siteZone };
}

export function num(value, digits = 1) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return value.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function pct(share) {
  return share === null || share === undefined ? "—" : num(share * 100, 0);
}

// "UTC+8" for the site's zone at ``ms`` (offsets change with daylight saving).
export function zoneLabel(ms = Date.now()) {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: siteZone, timeZoneName: "shortOffset" }).formatToParts(ms);
  const name = parts.find((p) => p.type === "timeZoneName")?.value ?? "";
  return name.replace(/^GMT/, "UTC") || "UTC";
}

export function time(ms) {
  if (!ms) return "—";
  return new Date(ms).toLocaleTimeString("en-GB", { hour12: false, timeZone: siteZone });
}

// A time with its zone, for times that stand alone (alerts, the clock).
export function zonedTime(ms) {
  return ms ? `${time(ms)} ${zoneLabel(ms)}` : "—";
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, val] of Object.entries(attrs)) {
    if (val === undefined || val === null) continue;
    if (key === "class") node.className = val;
    else if (key.startsWith("data-") || key === "title" || key.startsWith("aria-")) node.setAttribute(key, val);
    else node[key] = val;
  }
  for (const child of children) node.append(child);
  return node;
}
