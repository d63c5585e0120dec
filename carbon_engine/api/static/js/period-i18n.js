// Labels of the Period page and the printable report page, English and Chinese; the choice
// is the dashboard's (localStorage "zcf.lang", else the browser's languages).
import { lang, toggleLanguage } from "./i18n.js";

const LABELS = {
  en: {
    title: "Period accounts", live_link: "Live dashboard", month: "Month to date", year: "Year to date",
    as_of: "data as of", loading: "computing from stored telemetry…", gross: "Gross (S1 + S2 market)",
    reduction: "Reduction vs base year", offsets: "Offsets", net: "Net", zero_carbon: "Zero carbon",
    yes: "yes", no: "no", renewable: "Renewable share", annual: "period matching", hourly: "hourly matching",
    indicators: "Indicators", indicator: "Indicator", value: "Value", target: "Target", result: "Result",
    pass: "pass", fail: "fail", no_target: "no target", printable: "Printable report", json: "JSON",
    csv: "CSV tables", failed: "Rules failed", missing: "Not configured", recompute_ok: "recomputed = live",
    recompute_bad: "recomputed ≠ live", switch_to: "中文", print: "Print", back: "Period accounts",
    report_loading: "building the report…", not_available: "not available",
  },
  zh: {
    title: "报告期核算", live_link: "实时看板", month: "本月累计", year: "本年累计",
    as_of: "数据截至", loading: "正在由存储数据重算…", gross: "总排放（范围一 + 范围二市场法）",
    reduction: "较基准年减排", offsets: "抵销", net: "净排放", zero_carbon: "零碳",
    yes: "是", no: "否", renewable: "可再生能源占比", annual: "报告期匹配", hourly: "逐小时匹配",
    indicators: "指标", indicator: "指标", value: "数值", target: "目标", result: "结果",
    pass: "达标", fail: "未达标", no_target: "无目标", printable: "可打印报告", json: "JSON",
    csv: "CSV 表格", failed: "未满足的规则", missing: "未配置项", recompute_ok: "重算 = 实时",
    recompute_bad: "重算 ≠ 实时", switch_to: "EN", print: "打印", back: "报告期核算",
    report_loading: "正在生成报告…", not_available: "不可用",
  },
};

// One language state for every page: the dashboard's (stored choice, else the browser's).
export { lang };
export const p = (key) => LABELS[lang()][key] ?? LABELS.en[key] ?? key;

export function applyPeriodLabels() {
  document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-p]")) el.textContent = p(el.dataset.p);
  const button = document.getElementById("lang");
  if (button) button.textContent = p("switch_to");
}

export function toggle() {
  toggleLanguage();
  applyPeriodLabels();
}
