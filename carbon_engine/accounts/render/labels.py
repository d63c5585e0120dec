"""Labels of the printable report in English and Chinese: headings, columns, row names."""

# Full-width punctuation is the correct punctuation of the Chinese labels.
# ruff: noqa: RUF001

from __future__ import annotations

from typing import Literal

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")

_L: dict[str, tuple[str, str]] = {
    # page
    "title": ("Carbon and energy disclosure", "碳排放与能源信息披露报告"),
    "period": ("Period", "报告期"),
    "to_date": ("to date", "截至目前"),
    "as_of": ("Data as of", "数据截至"),
    "generated_at": ("Generated", "生成时间"),
    "boundary": ("Boundary", "核算边界"),
    "boundary_I": ("Type I: Scope 1 + Scope 2", "I 类：范围一 + 范围二"),
    "boundary_II": ("Type II: Scope 1 + 2 and purchased products", "II 类：范围一、二及外购产品"),
    "plant_file": ("Plant file", "工厂配置文件"),
    "software": ("Software", "软件"),
    "source": ("Data source", "数据来源"),
    "summary": ("Summary", "摘要"),
    "energy": ("Energy by carrier", "分品种能源消费"),
    "emissions": ("Emissions by scope and method", "分范围、分方法排放"),
    "instruments": ("Certificates and green-power contracts", "绿证与绿电合同"),
    "indicators": ("Indicators against targets", "指标与目标"),
    "offsets": ("Offsets (reduce first)", "碳抵销（先减排后抵销）"),
    "footprints": ("Product carbon footprint (cradle to gate)", "产品碳足迹（从摇篮到大门）"),
    "data_quality": ("Data quality", "数据质量"),
    "nodes": ("Totals per node", "各节点合计"),
    "recompute": ("Recomputed from stored telemetry", "由存储的原始数据重算"),
    "missing": ("Not configured", "未配置项"),
    "methodology": ("Methodology and emission factors", "核算方法与排放因子"),
    "digest": ("Digest (SHA-256)", "摘要值（SHA-256）"),
    "digest_covers": ("Covers", "覆盖范围"),
    "digest_recipe": (
        "Recompute: remove the member digest from report.json, canonicalise it by RFC 8785 (JCS), "
        "SHA-256 the UTF-8 bytes.",
        "复核方法：从 report.json 删除 digest 成员，按 RFC 8785（JCS）规范化，对 UTF-8 字节计算 SHA-256。",
    ),
    "none": ("none", "无"),
    "nothing_missing": ("Everything the report uses is configured.", "报告所需的各项均已配置。"),
    # summary cards
    "total_energy": ("Comprehensive energy", "综合能耗"),
    "gross_market": ("Gross emissions (S1 + S2 market)", "总排放（范围一 + 范围二市场法）"),
    "gross_location": ("Gross emissions (S1 + S2 location)", "总排放（范围一 + 范围二位置法）"),
    "renewable_annual": ("Renewable share (period matching)", "可再生能源占比（报告期匹配）"),
    "hourly_score": ("Hourly matching score", "逐小时匹配得分"),
    "net": ("Net after offsets", "抵销后净排放"),
    "zero_carbon": ("Zero carbon", "零碳"),
    "zero_yes": ("yes", "是"),
    "zero_no": ("no", "否"),
    "failed_rules": ("Rules failed", "未满足的规则"),
    "recompute_equal": ("recomputed figures equal the live ones", "重算结果与实时结果一致"),
    "recompute_differ": ("recomputed figures DIFFER from the live ones", "重算结果与实时结果不一致"),
    "max_abs_diff": ("largest difference", "最大差值"),
    "hours": ("hours", "小时"),
    # columns
    "carrier": ("Carrier", "能源品种"),
    "quantity": ("Quantity", "消费量"),
    "unit": ("Unit", "单位"),
    "kgce": ("Standard coal", "折标煤"),
    "coefficient": ("Coefficient", "折标系数"),
    "id": ("Item", "项目"),
    "scope": ("Scope", "范围"),
    "method": ("Method", "方法"),
    "basis": ("Basis", "口径"),
    "kg": ("Emissions", "排放量"),
    "t": ("Emissions", "排放量"),
    "kind": ("Kind", "类型"),
    "applied_kwh": ("Applied", "已核销电量"),
    "value": ("Value", "数值"),
    "target": ("Target", "目标"),
    "comparison": ("Comparison", "比较"),
    "passed": ("Result", "结果"),
    "formula": ("Formula", "公式"),
    "serial": ("Serial", "序列号"),
    "registry": ("Registry", "登记机构"),
    "vintage": ("Vintage", "年份"),
    "tco2e": ("Quantity", "数量"),
    "retired_on": ("Retired on", "注销日期"),
    "evidence": ("Evidence", "证明材料"),
    "node": ("Node", "节点"),
    "product": ("Product", "产品"),
    "kg_per_unit": ("Footprint", "碳足迹"),
    "meter": ("Meter", "计量表"),
    "device": ("Device", "设备"),
    "good_share": ("Good data", "有效数据占比"),
    "estimated_share": ("Estimated", "估算占比"),
    "offline_s": ("Offline", "离线时长"),
    "gaps": ("Gaps", "中断次数"),
    "gap_list": ("Gaps (start-end, ms)", "中断（起止，毫秒）"),
    "path": ("Node", "节点"),
    "level": ("Level", "层级"),
    "point": ("Quantity", "量"),
    "live": ("Live", "实时"),
    "recomputed": ("Recomputed", "重算"),
    "diff": ("Difference", "差值"),
    "tag": ("Factor", "因子"),
    "version": ("Version", "版本"),
    "key": ("Key", "配置项"),
    "needed_for": ("Needed for", "用途"),
    "label_en": ("Indicator", "指标"),
    "label_zh": ("Indicator", "指标"),
    "gross_t": ("Gross emissions", "总排放"),
    "base_gross_t": ("Base-year gross emissions", "基准年总排放"),
    "reduction_t": ("Reduction versus the base year", "较基准年减排量"),
    "offsets_t": ("Offsets retired", "已注销抵销量"),
    "net_t": ("Net emissions", "净排放"),
    # values
    "pass": ("pass", "达标"),
    "fail": ("fail", "未达标"),
    "max": ("at most", "不高于"),
    "min": ("at least", "不低于"),
    "scope1": ("Scope 1 (direct)", "范围一（直接排放）"),
    "scope2_location": ("Scope 2, location-based", "范围二（基于位置）"),
    "scope2_market": ("Scope 2, market-based (period-matched)", "范围二（基于市场，报告期匹配）"),
    "scope2_market_estimate": (
        "Scope 2, market-based: sum of window estimates (estimate)",
        "范围二（基于市场）：各时段估算值之和（估算）",
    ),
    "location": ("location", "位置法"),
    "market": ("market", "市场法"),
    "period-matched": ("period-matched", "报告期匹配"),
    "estimate": ("estimate", "估算"),
    "electricity": ("Electricity", "电力"),
    "natural_gas": ("Natural gas", "天然气"),
    "diesel": ("Diesel", "柴油"),
    "lpg": ("LPG", "液化石油气"),
    "coal": ("Coal", "煤炭"),
    "steam": ("Steam", "蒸汽"),
    "heat": ("Heat", "热力"),
    "hydrogen": ("Hydrogen", "氢气"),
    "site": ("site", "全厂"),
    "area": ("area", "车间"),
    "line": ("line", "产线"),
}


def label(key: str, lang: Lang) -> str:
    """The label of ``key`` in ``lang``; the key itself when none is defined (ids, units)."""
    pair = _L.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "zh" else pair[0]
