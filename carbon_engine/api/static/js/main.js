// Dashboard entry: load the tree and snapshots once, then follow the SSE stream (no polling).
import * as api from "./api.js";
import { applyLabels, lang, onLanguage, t, toggleLanguage } from "./i18n.js";
import { groupMode, renderAlerts } from "./alerts.js";
import { setTimeZone, zonedTime } from "./format.js";
import { renderLines } from "./lines.js";
import { loadChartLibrary, Trend } from "./trend.js";
import { badgeKey, received } from "./freshness.js";
import { renderDevices, renderNow, renderSite, renderSiteFreshness } from "./views.js";

const state = { tree: [], byPath: new Map(), live: [], alerts: new Map(), devices: [], trend: null };
const $ = (id) => document.getElementById(id);

function banner(text) {
  const node = $("banner");
  node.textContent = text ?? "";
  node.hidden = !text;
}

function setConn(key) {
  const node = $("conn");
  node.dataset.i18n = key;
  node.textContent = t(key);
  node.className = `conn ${key.replace("_", "-")}`;
}

function siteNode() {
  return state.tree.find((n) => n.level === "site");
}

// Depth first from the site, so each line sits under its area.
function treeOrder() {
  const out = [];
  const visit = (node) => {
    if (!node || out.includes(node)) return;
    out.push(node);
    for (const child of node.children) visit(state.byPath.get(child));
  };
  for (const root of state.tree.filter((n) => !n.parent || !state.byPath.has(n.parent))) visit(root);
  return out;
}

function render() {
  const site = siteNode();
  $("site-name").textContent = site ? (lang() === "zh" ? site.label_zh : site.label_en) || site.name : "—";
  const siteLive = site ? state.live.find((v) => v.path === site.path) : null;
  renderNow(siteLive);
  renderSite(siteLive);
  renderFreshness();
  renderAlerts([...state.alerts.values()], state.byPath, ack);
  renderDevices(state.devices);
}

// Everything that shows an age: redrawn on every data change and every second in between.
function renderFreshness() {
  if (!state.tree.length) return;
  const site = siteNode();
  const liveBy = new Map(state.live.map((v) => [v.path, v]));
  const siteLive = site ? liveBy.get(site.path) : null;
  const rows = treeOrder().filter((n) => n.level !== "meter" && liveBy.has(n.path)).map((n) => liveBy.get(n.path));
  renderLines(rows, state.byPath, renderFreshness);
  renderSiteFreshness(siteLive);
  setConn(badgeKey(siteLive, rows));
}

function linkDown(down) {
  $("link").hidden = !down;
}

// One by one through the ack API; the first refusal (a viewer's token: 403) stops the rest
// and is shown once. Without a token the API answers 401 and the page asks for one first.
async function ack(ids) {
  for (const id of ids) {
    try {
      const updated = await api.ackAlert(id, "operator");
      state.alerts.set(updated.id, updated);
    } catch (err) {
      banner(`${t("ack_failed")}: ${err.message}`);
      break;
    }
  }
  render();
}

async function seedTrend() {
  const end = Date.now();
  // History buckets start at `start`: on a whole minute, each is one of the engine's 1-min windows.
  const start = Math.floor((end - 3600 * 1000) / 60000) * 60000;
  const metric = state.trend.metric;
  try {
    await Promise.all(
      state.trend.nodes.map(async (n) => {
        const h = await api.getHistory(n.path, metric, start, end, "1m");
        state.trend.seed(n.path, h.points.filter((p) => p.value !== null));
      }),
    );
  } catch (err) {
    console.info("history unavailable:", err.message);
  }
  state.trend.rebuild();
}

function follow() {
  api.openStream({
    open: () => linkDown(false),
    error: () => linkDown(true),
    live: (values) => {
      state.live = values;
      received();
      state.trend?.push(values);
      render();
    },
    // Sent on every (re)connect: whatever changed while the stream was down is in it.
    alerts: (list) => {
      state.alerts = new Map(list.map((a) => [a.id, a]));
      render();
    },
    alert: (a) => {
      if (a.state === "cleared") state.alerts.delete(a.id);
      else state.alerts.set(a.id, a);
      render();
    },
    devices: (devices) => {
      state.devices = devices;
      render();
    },
  });
}

function tick() {
  const clock = $("clock");
  clock.textContent = zonedTime(Date.now());
  clock.title = t("site_time");
  renderFreshness();
}

async function start() {
  applyLabels();
  $("lang").textContent = t("switch_to");
  $("lang").addEventListener("click", toggleLanguage);
  for (const m of ["rule", "device"]) {
    $(`group-${m}`).addEventListener("click", () => {
      groupMode(m);
      render();
    });
  }
  onLanguage(() => {
    $("lang").textContent = t("switch_to");
    render();
    state.trend?.rebuild();
  });
  tick();
  setInterval(tick, 1000); // the clock and the ages only; data arrives by push
  const [tree, live, alerts, devices] = await Promise.all([api.getTree(), api.getLive(), api.getAlerts(), api.getDevices()]);
  state.tree = tree;
  state.byPath = new Map(tree.map((n) => [n.path, n]));
  setTimeZone(tree.find((n) => n.level === "site")?.timezone);
  tick();
  state.live = live;
  received();
  state.alerts = new Map(alerts.map((a) => [a.id, a]));
  state.devices = devices;
  render();
  follow();
  if (await loadChartLibrary()) {
    const nodes = tree.filter((n) => n.level === "line" || n.level === "site");
    state.trend = new Trend($("trend"), nodes);
    $("trend-metric").addEventListener("change", async (ev) => {
      state.trend.clear(ev.target.value);
      await seedTrend();
    });
    await seedTrend();
  } else {
    banner(t("no_chart"));
  }
}

start().catch((err) => banner(`Dashboard error: ${err.message}`));
