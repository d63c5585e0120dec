// Labels in English and Chinese. The first visit follows the browser's languages (what it
// sends as Accept-Language); a choice made with the switch is kept in localStorage.
const LABELS = {
  en: {
    title: "Zero-carbon factory", conn_wait: "connecting", conn_live: "live", conn_lost: "reconnecting",
    emitting_now: "Emitting now", method_loc: "Location-based", method_mkt: "Market-based",
    today_total_loc: "Today, location-based", today_total_mkt: "Today, market-based",
    now_note: "Scope 1 + Scope 2, rate over the last minute; today since local midnight",
    site_now: "Site now", power_elec: "Electric power", intensity_elec: "Electricity intensity",
    per_kwh_elec: "kgCO₂/kWh of electricity", intensity_all: "Carbon intensity, all energy",
    per_kwh_all: "kgCO₂/kWh of all energy (gas, steam as kWh)", loc_short: "location", mkt_short: "market",
    renewable_share: "Renewable share", of_electricity: "% of electricity",
    parts_note: "Certificates and PPAs are spread evenly over their periods: the minute's split is an estimate",
    part_onsite: "On-site PV", part_gec: "Certificates (GEC)", part_ppa: "PPA", part_green_power_trading: "Green power trading",
    today: "Today", energy_today: "Energy, all carriers", scope1: "Scope 1", scope2_loc: "Scope 2 (location)",
    scope2_mkt: "Scope 2 (market)", units_today: "Units produced", units: "units",
    carrier_electricity_kwh: "Electricity", carrier_natural_gas_nm3: "Natural gas", carrier_steam_t: "Steam",
    carrier_diesel_t: "Diesel", carrier_lpg_t: "LPG", carrier_coal_t: "Coal", carrier_heat_gj: "Heat",
    carrier_hydrogen_kg: "Hydrogen",
    lines: "Production lines", areas: "Workshops and other loads",
    lines_note: "Worst line: highest kgCO₂/unit where lines count units, else highest kgCO₂e/h; location-based",
    col_line: "Line", col_area: "Workshop", col_kgh: "kgCO₂e/h", col_unit: "kgCO₂/unit", col_kwh_unit: "kWh/unit",
    col_power: "kW", col_intensity: "kgCO₂/kWh", col_renewable: "Renewable %", col_today_t: "Today tCO₂e",
    col_asof: "As of", worst: "worst", unassigned: "Not sub-metered (not a line)",
    why_no_energy: "Undefined: no energy used in the last minute",
    why_no_elec: "Undefined: no electricity used in the last minute",
    why_no_data: "No samples from this node's meters yet",
    period_link: "Period accounts",
    why_no_units: "Undefined: no units counted in the last minute, or no production counter",
    sort_hint: "Sort",
    trend: "Last hour", alerts: "Active alerts", no_alerts: "No active alerts",
    by_rule: "By rule", by_device: "By device", ack_all: "Acknowledge all", rule: "Rule",
    devices: "Devices", device: "Device", state: "State", last_seen: "Last seen", quality: "Quality",
    ack: "Acknowledge", acked: "Acknowledged", raised: "Raised", cleared: "Cleared",
    online: "online", offline: "offline", unknown: "unknown",
    q_good: "good", q_bad: "bad", q_stale: "stale", q_estimated: "estimated", q_unknown: "unknown",
    info: "info", warning: "warning", critical: "critical", by: "by", switch_to: "中文",
    no_history: "History unavailable: showing live values from now on",
    no_chart: "Chart library missing: run bash carbon_engine/api/build_assets.sh",
    ack_failed: "Acknowledge failed", time: "Time", site_time: "site time",
    token_title: "API token", token_label: "Token", token_submit: "Sign in",
    token_needed: "The API needs a token.", token_refused: "Token refused",
    token_hint: "From the plant IT: zcf token create --role viewer (operator to acknowledge alerts). Kept for this tab only.",
    conn_delayed: "delayed", conn_stale: "stale", stale: "stale", as_of: "as of", as_of_col: "As of", coverage: "Coverage", no_data: "no data yet",
    ago_s: "{n} s ago", ago_min: "{n} min ago", ago_h: "{n} h ago",
    col_idle: "Idle today kWh", why_no_state: "Undefined: the line has no state point",
    st_running: "running", st_idle: "idle", st_stopped: "stopped", st_fault: "fault",
  },
  zh: {
    title: "零碳工厂", conn_wait: "连接中", conn_live: "实时", conn_lost: "重新连接中",
    emitting_now: "当前排放", method_loc: "基于位置", method_mkt: "基于市场",
    today_total_loc: "今日累计（基于位置）", today_total_mkt: "今日累计（基于市场）",
    now_note: "范围一 + 范围二，按最近一分钟折算每小时；今日自当地零点起",
    site_now: "全厂实时", power_elec: "用电功率", intensity_elec: "电力碳排放强度",
    per_kwh_elec: "kgCO₂/kWh（每千瓦时电）", intensity_all: "综合能源碳排放强度",
    per_kwh_all: "kgCO₂/kWh（全部能源，天然气、蒸汽折算为 kWh）", loc_short: "基于位置", mkt_short: "基于市场",
    renewable_share: "可再生能源占比", of_electricity: "% 占用电量",
    parts_note: "绿证和购电协议电量按其有效期平均分摊：每分钟的构成为估算值",
    part_onsite: "厂内光伏", part_gec: "绿色电力证书", part_ppa: "购电协议", part_green_power_trading: "绿电交易",
    today: "今日", energy_today: "综合能耗", scope1: "范围一", scope2_loc: "范围二（基于位置）",
    scope2_mkt: "范围二（基于市场）", units_today: "产量", units: "件",
    carrier_electricity_kwh: "电力", carrier_natural_gas_nm3: "天然气", carrier_steam_t: "蒸汽",
    carrier_diesel_t: "柴油", carrier_lpg_t: "液化石油气", carrier_coal_t: "煤炭", carrier_heat_gj: "热力",
    carrier_hydrogen_kg: "氢气",
    lines: "产线", areas: "车间及其他负荷",
    lines_note: "最差产线：有产量计数时按单位产品碳排放最高，否则按每小时排放最高；基于位置",
    col_line: "产线", col_area: "车间", col_kgh: "kgCO₂e/h", col_unit: "kgCO₂/件", col_kwh_unit: "kWh/件",
    col_power: "kW", col_intensity: "kgCO₂/kWh", col_renewable: "可再生 %", col_today_t: "今日 tCO₂e",
    col_asof: "数据时间", worst: "最差", unassigned: "未分项计量（非产线）",
    why_no_energy: "无定义：最近一分钟没有能耗",
    why_no_elec: "无定义：最近一分钟没有用电",
    why_no_data: "尚无该节点计量表的数据",
    period_link: "报告期核算",
    why_no_units: "无定义：最近一分钟没有产量，或没有产量计数器",
    sort_hint: "排序",
    trend: "最近一小时", alerts: "当前告警", no_alerts: "暂无告警",
    by_rule: "按规则", by_device: "按设备", ack_all: "全部确认", rule: "规则",
    devices: "设备", device: "设备", state: "状态", last_seen: "最近通信", quality: "数据质量",
    ack: "确认", acked: "已确认", raised: "已触发", cleared: "已清除",
    online: "在线", offline: "离线", unknown: "未知",
    q_good: "正常", q_bad: "异常", q_stale: "过期", q_estimated: "估算", q_unknown: "未知",
    info: "提示", warning: "警告", critical: "严重", by: "确认人", switch_to: "EN",
    no_history: "历史数据不可用：从现在起显示实时值",
    no_chart: "缺少图表库：请运行 bash carbon_engine/api/build_assets.sh",
    ack_failed: "确认失败", time: "时间", site_time: "工厂时间",
    token_title: "API 令牌", token_label: "令牌", token_submit: "登录",
    token_needed: "API 需要令牌。", token_refused: "令牌被拒绝",
    token_hint: "向工厂 IT 索取：zcf token create --role viewer（确认告警需 operator）。仅在本标签页内保存。",
    conn_delayed: "延迟", conn_stale: "数据过期", stale: "已过期", as_of: "截至", as_of_col: "数据时间", coverage: "数据覆盖率", no_data: "暂无数据",
    ago_s: "{n} 秒前", ago_min: "{n} 分钟前", ago_h: "{n} 小时前",
    col_idle: "今日待机 kWh", why_no_state: "无定义：该产线没有状态点",
    st_running: "运行", st_idle: "待机", st_stopped: "停机", st_fault: "故障",
  },
};

const KEY = "zcf.lang";

// A stored choice wins; else the first of the browser's languages that is English or Chinese.
function initialLanguage() {
  const stored = localStorage.getItem(KEY);
  if (stored === "zh" || stored === "en") return stored;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const lower = String(tag).toLowerCase();
    if (lower.startsWith("zh")) return "zh";
    if (lower.startsWith("en")) return "en";
  }
  return "en";
}

let current = initialLanguage();
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

// An alert's message in the page's language (the English one where a rule has no Chinese).
export function alertMessage(a) {
  return current === "zh" ? a.message_zh || a.message : a.message;
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
  localStorage.setItem(KEY, current);
  applyLabels();
  for (const fn of listeners) fn(current);
}

export function toggleLanguage() {
  setLanguage(current === "zh" ? "en" : "zh");
}
