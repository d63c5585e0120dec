// The last-hour trend chart: one uPlot series per line plus the site, fed live from SSE.
import { zoneOptions } from "./format.js";
import { nodeLabel, t } from "./i18n.js";

const WINDOW_S = 3600;
// Whole-second tick steps only: a live chart a few seconds old must not label sub-seconds.
const TICKS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
const COLORS = ["#4fc3f7", "#ffb74d", "#81c784", "#e57373", "#ba68c8", "#fff176", "#90a4ae"];
const UNITS = { emissions_location_kg_per_h: "kgCO₂e/h", intensity_location_kg_per_kwh: "kgCO₂/kWh", power_kw: "kW", renewable_share: "%" };

let uPlot = null;

export async function loadChartLibrary() {
  try {
    uPlot = (await import("/static/vendor/uPlot.esm.js")).default;
    return true;
  } catch {
    return false;
  }
}

// 24-hour clock labels (control rooms and zh-CN read 14:05, not 2:05pm); seconds on short spans.
function clockLabels(u, splits) {
  const span = splits.length > 1 ? splits[splits.length - 1] - splits[0] : 0;
  const opts = { hour: "2-digit", minute: "2-digit", hour12: false, ...zoneOptions() };
  if (span < 600) opts.second = "2-digit";
  return splits.map((s) => new Date(s * 1000).toLocaleTimeString("en-GB", opts));
}

export class Trend {
  constructor(container, nodes) {
    this.container = container;
    this.nodes = nodes; // [{path, label_en, label_zh, ...}]
    this.metric = "emissions_location_kg_per_h";
    this.series = new Map(nodes.map((n) => [n.path, []])); // path -> [[sec, value], ...]
    this.chart = null;
    this.pending = false;
    new ResizeObserver(() => this.resize()).observe(container);
  }

  scale(value) {
    if (value === null || value === undefined) return null;
    return this.metric === "renewable_share" ? value * 100 : value;
  }

  seed(path, points) {
    const rows = points.map((p) => [p.ts / 1000, this.scale(p.value)]);
    this.series.set(path, rows.concat(this.series.get(path) ?? []));
  }

  push(liveList) {
    for (const v of liveList) {
      const rows = this.series.get(v.path);
      if (!rows || !v.ts) continue;
      const sec = v.ts / 1000;
      if (rows.length && rows[rows.length - 1][0] >= sec) continue; // no change since last push
      rows.push([sec, this.scale(v[this.metric])]);
    }
    this.schedule();
  }

  clear(metric) {
    this.metric = metric;
    for (const key of this.series.keys()) this.series.set(key, []);
    this.rebuild();
  }

  data() {
    const horizon = Date.now() / 1000 - WINDOW_S;
    const tables = [];
    for (const rows of this.series.values()) {
      while (rows.length && rows[0][0] < horizon) rows.shift();
      tables.push([rows.map((r) => r[0]), rows.map((r) => r[1])]);
    }
    if (!tables.length) return [[]];
    return uPlot.join(tables);
  }

  options() {
    const width = this.container.clientWidth || 600;
    const unit = UNITS[this.metric] ?? "";
    return {
      width,
      height: Math.max(220, Math.min(420, Math.round(width * 0.32))),
      scales: { x: { time: true } },
      axes: [
        { stroke: "#b0bec5", grid: { stroke: "#2a3340" }, values: clockLabels, incrs: TICKS_S, space: 70 },
        { stroke: "#b0bec5", grid: { stroke: "#2a3340" }, label: unit, size: 70 },
      ],
      series: [
        { label: t("time") },
        ...this.nodes.map((n, i) => ({
          label: nodeLabel(n),
          stroke: COLORS[i % COLORS.length],
          width: n.level === "site" ? 3 : 2,
          spanGaps: true,
        })),
      ],
    };
  }

  rebuild() {
    if (!uPlot) return;
    if (this.chart) this.chart.destroy();
    this.chart = new uPlot(this.options(), this.data(), this.container);
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      if (!this.chart) this.rebuild();
      else this.chart.setData(this.data());
    });
  }

  resize() {
    if (!this.chart) return;
    const width = this.container.clientWidth;
    if (width && width !== this.chart.width) this.rebuild();
  }
}
