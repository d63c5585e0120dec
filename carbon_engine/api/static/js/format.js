// Number and time formatting shared by the views.
export function num(value, digits = 1) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return value.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function pct(share) {
  return share === null || share === undefined ? "—" : num(share * 100, 0);
}

export function time(ms) {
  if (!ms) return "—";
  return new Date(ms).toLocaleTimeString(undefined, { hour12: false });
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, val] of Object.entries(attrs)) {
    if (key === "class") node.className = val;
    else if (key.startsWith("data-")) node.setAttribute(key, val);
    else node[key] = val;
  }
  for (const child of children) node.append(child);
  return node;
}
