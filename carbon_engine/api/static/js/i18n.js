// Labels in English and Chinese; the choice is kept in localStorage.
const LABELS = {
  en: {
    title: "Zero-carbon factory", conn_wait: "connecting", conn_live: "live", conn_lost: "reconnecting",
    site_now: "Site now", power: "Power", intensity_loc: "Intensity (location)",
    intensity_mkt: "Intensity (market)", renewable_share: "Renewable share", today: "Today",
    energy_today: "Energy", scope1: "Scope 1", scope2_loc: "Scope 2 (location)",
    scope2_mkt: "Scope 2 (market)", units_today: "Units produced", units: "units", lines: "Lines",
    node: "Node", power_kw: "Power kW", intensity_kwh: "kgCO₂/kWh", intensity_unit: "kgCO₂/unit",
    energy_unit: "kWh/unit", renewable: "Renewable", energy_today_kwh: "Today kWh",
    emissions_today_kg: "Today kgCO₂ (S1+S2 loc.)", trend: "Last hour", alerts: "Active alerts",
    no_alerts: "No active alerts", devices: "Devices", device: "Device", state: "State",
    last_seen: "Last seen", quality: "Quality", ack: "Acknowledge", acked: "Acknowledged",
    raised: "Raised", cleared: "Cleared", online: "online", offline: "offline", unknown: "unknown",
    info: "info", warning: "warning", critical: "critical", by: "by", switch_to: "中文",
    no_history: "History unavailable: showing live values from now on",
    no_chart: "Chart library missing: run bash carbon_engine/api/build_assets.sh",
    ack_failed: "Acknowledge failed", time: "Time",
    token_title: "API token", token_label: "Token", token_submit: "Sign in",
    token_needed: "The API needs a token.", token_refused: "Token refused",
    token_hint: "From the plant IT: zcf token create --role viewer (operator to acknowledge alerts). Kept for this tab only.",
    conn_delayed: "delayed", conn_stale: "stale", stale: "stale", as_of: "as of", as_of_col: "As of", no_data: "no data yet",
    ago_s: "{n} s ago", ago_min: "{n} min ago", ago_h: "{n} h ago",
    idle_today: "Idle today kWh", st_running: "running", st_idle: "idle", st_stopped: "stopped", st_fault: "fault",
  },
  zh: {
    title: "零碳工厂", conn_wait: "连接中", conn_live: "实时", conn_lost: "重新连接中",
    site_now: "全厂实时", power: "功率", intensity_loc: "碳强度（基于位置）",
    intensity_mkt: "碳强度（基于市场）", renewable_share: "可再生能源占比", today: "今日",
    energy_today: "能耗", scope1: "范围一", scope2_loc: "范围二（基于位置）",
    scope2_mkt: "范围二（基于市场）", units_today: "产量", units: "件", lines: "产线",
    node: "节点", power_kw: "功率 kW", intensity_kwh: "kgCO₂/kWh", intensity_unit: "kgCO₂/件",
    energy_unit: "kWh/件", renewable: "可再生", energy_today_kwh: "今日 kWh",
    emissions_today_kg: "今日 kgCO₂（范围一+范围二位置）", trend: "最近一小时", alerts: "活动告警",
    no_alerts: "无活动告警", devices: "设备", device: "设备", state: "状态",
    last_seen: "最近通信", quality: "数据质量", ack: "确认", acked: "已确认",
    raised: "已触发", cleared: "已清除", online: "在线", offline: "离线", unknown: "未知",
    info: "提示", warning: "警告", critical: "严重", by: "确认人", switch_to: "EN",
    no_history: "历史数据不可用：从现在起显示实时值",
    no_chart: "缺少图表库：请运行 bash carbon_engine/api/build_assets.sh",
    ack_failed: "确认失败", time: "时间",
    token_title: "API 令牌", token_label: "令牌", token_submit: "登录",
    token_needed: "API 需要令牌。", token_refused: "令牌被拒绝",
    token_hint: "向工厂 IT 索取：zcf token create --role viewer（确认告警需 operator）。仅在本标签页内保存。",
    conn_delayed: "延迟", conn_stale: "数据过期", stale: "已过期", as_of: "截至", as_of_col: "数据时间", no_data: "暂无数据",
    ago_s: "{n} 秒前", ago_min: "{n} 分钟前", ago_h: "{n} 小时前",
    idle_today: "今日待机 kWh", st_running: "运行", st_idle: "待机", st_stopped: "停机", st_fault: "故障",
  },
};

let current = localStorage.getItem("zcf.lang") === "zh" ? "zh" : "en";
const listeners = [];

export function lang() {
  return current;
}

export function t(key) {
  return LABELS[current][key] ?? LABELS.en[key] ?? key;
}

export function nodeLabel(node) {
  if (!node) return "";
  const label = current === "zh" ? node.label_zh : node.label_en;
  return label || node.name || node.path;
}

export function applyLabels(root = document) {
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}

export function onLanguage(fn) {
  listeners.push(fn);
}

export function setLanguage(next) {
  current = next === "zh" ? "zh" : "en";
  localStorage.setItem("zcf.lang", current);
  applyLabels();
  for (const fn of listeners) fn(current);
}

export function toggleLanguage() {
  setLanguage(current === "zh" ? "en" : "zh");
}
