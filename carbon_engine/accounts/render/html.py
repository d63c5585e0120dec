"""The printable HTML page of a report, in English or Chinese: one file, no external assets.

Every number printed sits in an element with ``data-ptr`` (its JSON Pointer into the report)
and ``data-value`` (the JSON value in full), so a reader or a test can trace it; the text
shows it rounded, with its unit. The style sheet (``report.css``) is inlined by default; the
dashboard's report page links it instead (its Content-Security-Policy forbids inline style).
"""

from __future__ import annotations

from functools import cache
from html import escape
from importlib import resources
from typing import Any

from carbon_engine.accounts.render.labels import Lang, label
from carbon_engine.accounts.render.tables import Cell, Column, Table, all_tables

CSS_FILE = "report.css"
_TRANSLATED = ("id", "carrier", "method", "basis", "level", "comparison")


@cache
def stylesheet() -> str:
    """The report's CSS (screen and print)."""
    return resources.files(__package__).joinpath(CSS_FILE).read_text(encoding="utf-8")


def fmt(value: float, digits: int) -> str:
    """A figure rounded for print, thousands grouped: ``12,345.68``."""
    return f"{value:,.{digits}f}"


def number(value: Any, ptr: str | None, unit: str, digits: int, share: bool = False) -> str:
    """A number as ``<span data-ptr data-value>text</span> unit``; an absent one as a dash."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return '<span class="na">—</span>'
    shown, u = (fmt(value * 100, 1), "%") if share else (fmt(value, digits), unit)
    if isinstance(value, int) and digits == 0:
        shown = str(value)  # counts and years, not grouped
    attrs = f' data-ptr="{escape(ptr)}"' if ptr else ""
    unit_html = f' <span class="u">{escape(u)}</span>' if u else ""
    return f'<span class="v"{attrs} data-value="{value!r}">{shown}</span>{unit_html}'


def _row_unit(table: Table, row: list[Cell]) -> str:
    """Tables whose rows name their own unit (energy, indicators)."""
    keys = [c.key for c in table.columns]
    return str(row[keys.index("unit")].value or "") if "unit" in keys else ""


def _cell(table: Table, col: Column, cell: Cell, row_unit: str, lang: Lang) -> str:
    v = cell.value
    if col.kind in ("num", "int", "share"):
        digits = 0 if col.kind == "int" else col.digits
        share = col.kind == "share" or (table.name == "indicators" and row_unit in ("", "1"))
        return f'<td class="num">{number(v, cell.ptr, col.unit or row_unit, digits, share)}</td>'
    if col.kind == "bool":
        text = "—" if v is None else label("pass" if v else "fail", lang)
        css = "" if v is None else (' class="pass"' if v else ' class="fail"')
        return f"<td{css}>{escape(text)}</td>"
    if v is None:
        return "<td></td>"
    text = label(str(v), lang) if col.key in _TRANSLATED else str(v)
    return f"<td>{escape(text)}</td>"


def _heading(key: str, lang: Lang) -> str:
    """A column's heading: its own label (``col_KEY``) where the key also names a section."""
    own = label(f"col_{key}", lang)
    return own if own != f"col_{key}" else label(key, lang)


def table_html(table: Table, lang: Lang) -> str:
    """A table with translated headings; numbers carry their unit."""
    skip = (
        "unit",
        "label_zh" if lang == "en" else "label_en",
        *(("id",) if table.name == "indicators" else ()),
    )
    cols = [c for c in table.columns if c.key not in skip]
    css = {c.key: "num" if c.kind in ("num", "int", "share") else "" for c in cols}
    head = "".join(f'<th class="{css[c.key]}">{escape(_heading(c.key, lang))}</th>' for c in cols)
    body = []
    for row in table.rows:
        unit = _row_unit(table, row)
        cells = [
            _cell(table, c, cell, unit, lang)
            for c, cell in zip(table.columns, row, strict=True)
            if c.key not in skip
        ]
        body.append(f"<tr>{''.join(cells)}</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(cols)}" class="na">{escape(label("none", lang))}</td></tr>')
    return (
        f'<table data-table="{table.name}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _section(sid: str, lang: Lang, inner: str) -> str:
    return f'<section id="{sid}"><h2>{escape(label(sid, lang))}</h2>{inner}</section>'


def _kv(rows: list[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in rows)
    return f'<dl class="kv">{items}</dl>'


def _header(r: dict[str, Any], lang: Lang) -> str:
    h = r["report"]
    site = h["site"]["label_zh" if lang == "zh" else "label_en"]
    p = h["period"]
    to_date = f" ({escape(label('to_date', lang))})" if p["to_date"] else ""
    rows = [
        (label("period", lang), f"{escape(p['start'])} — {escape(p['end'])}{to_date}"),
        (label("as_of", lang), escape(h["as_of"])),
        (label("generated_at", lang), escape(h["generated_at"])),
        (
            label("boundary", lang),
            escape(label("boundary_" + h["boundary"]["type"], lang) + " · " + h["boundary"]["standard"]),
        ),
        (
            label("plant_file", lang),
            f"{escape(h['plant_file']['name'])} <code>{escape(h['plant_file']['sha256'])}</code>",
        ),
        (label("source", lang), escape(h["source"])),
        (label("software", lang), escape(h["software"])),
    ]
    title = f"{escape(label('title', lang))} · {escape(site)} · {escape(p['key'])}"
    return f'<header><h1 data-testid="title">{title}</h1>{_kv(rows)}</header>'


def _card(key: str, lang: Lang, inner: str, testid: str) -> str:
    name = f'<span class="k">{escape(label(key, lang))}</span>'
    return f'<div class="card" data-testid="{testid}">{name}<span class="big">{inner}</span></div>'


def _summary(r: dict[str, Any], lang: Lang) -> str:
    e, em, inst = r["energy"], r["emissions"], r.get("instruments") or {}
    net = (r.get("offsets") or {}).get("net")
    cards = [
        _card("total_energy", lang, number(e["total_tce"], "/energy/total_tce", "tce", 3), "sum-tce"),
        _card("gross_location", lang, number(_t(em["gross_location_kg"]), None, "tCO2", 3), "sum-gross-loc"),
        _card("gross_market", lang, number(_t(em["gross_market_kg"]), None, "tCO2", 3), "sum-gross-mkt"),
        _card(
            "renewable_annual",
            lang,
            number(inst.get("renewable_share_annual"), "/instruments/renewable_share_annual", "", 1, True),
            "sum-res",
        ),
        _card(
            "hourly_score",
            lang,
            number(inst.get("hourly_score"), "/instruments/hourly_score", "", 1, True),
            "sum-hourly",
        ),
    ]
    if net is not None:
        cards.append(_card("net", lang, number(net["net_t"], "/offsets/net/net_t", "tCO2e", 3), "sum-net"))
        verdict = label("zero_yes" if net["zero_carbon"] else "zero_no", lang)
        cards.append(_card("zero_carbon", lang, escape(verdict), "sum-zero"))
    return _section("summary", lang, f'<div class="cards">{"".join(cards)}</div>')


def _t(kg: float | None) -> float | None:
    return None if kg is None else kg / 1000.0


def _instruments_extra(r: dict[str, Any], lang: Lang) -> str:
    inst = r.get("instruments")
    if not inst:
        return ""
    rows = [
        (label(k, lang), number(inst.get(k), f"/instruments/{k}", "kWh", 1))
        for k in ("grid_kwh", "covered_kwh", "hourly_matched_kwh")
        if k in inst
    ]
    surplus = [
        f"{escape(x['id'])} {number(x['kwh'], f'/instruments/surplus/{i}/kwh', 'kWh', 1)}"
        for i, x in enumerate(inst.get("surplus", []))
    ]
    rows.append((label("surplus", lang), "; ".join(surplus) or escape(label("none", lang))))
    return _kv(rows)


def _offsets_extra(r: dict[str, Any], lang: Lang) -> str:
    net = (r.get("offsets") or {}).get("net")
    if net is None:
        return ""
    keys = ("gross_t", "base_gross_t", "reduction_t", "offsets_t", "net_t")
    rows = [(label(k, lang), number(net[k], f"/offsets/net/{k}", "tCO2e", 3)) for k in keys]
    failed = ", ".join(net["failed_rules"]) or label("none", lang)
    rows.append((label("failed_rules", lang), escape(failed)))
    return _kv(rows)


def _recompute(r: dict[str, Any], lang: Lang) -> str:
    rc = r.get("recompute")
    if rc is None:
        return _section("recompute", lang, f'<p class="na">{escape(label("none", lang))}</p>')
    verdict = label("recompute_equal" if rc["equal"] else "recompute_differ", lang)
    css = "pass" if rc["equal"] else "fail"
    diff = number(rc["max_abs_diff"], "/recompute/max_abs_diff", "", 9)
    hours = f"{rc['live_hours']} / {rc['recomputed_hours']} {escape(label('hours', lang))}"
    said = f"{escape(verdict)}; {escape(label('max_abs_diff', lang))} {diff}; {hours}"
    head = f'<p class="{css}" data-testid="recompute-verdict">{said}</p>'
    rows = "".join(
        f"<tr><td>{escape(x['point'])}</td>"
        + "".join(
            f'<td class="num">{number(x[k], f"/recompute/site/{i}/{k}", "", 3)}</td>'
            for k in ("live", "recomputed", "diff")
        )
        + "</tr>"
        for i, x in enumerate(rc["site"])
    )
    ths = "".join(f"<th>{escape(label(k, lang))}</th>" for k in ("point", "live", "recomputed", "diff"))
    return _section(
        "recompute",
        lang,
        f'{head}<table data-table="recompute"><thead><tr>{ths}</tr></thead><tbody>{rows}</tbody></table>',
    )


def _missing(r: dict[str, Any], lang: Lang) -> str:
    items = r["missing"]
    if not items:
        return _section("missing", lang, f"<p>{escape(label('nothing_missing', lang))}</p>")
    lis = "".join(
        f'<li data-key="{escape(m["key"])}"><code>{escape(m["key"])}</code>: '
        f"{escape(m.get('needed_for', m['message']))}</li>"
        for m in items
    )
    return _section("missing", lang, f'<ul data-testid="missing">{lis}</ul>')


def _methodology(r: dict[str, Any], lang: Lang) -> str:
    h = r["report"]
    rows = [(k, escape(v)) for k, v in h["methodology"].items()]
    fac = "".join(
        f'<tr><td><code>{escape(f["tag"])}</code></td><td class="num">'
        f"{number(f.get('value'), f'/report/factors/{i}/value', f.get('unit', ''), 4)}</td>"
        f"<td>{escape(f.get('source', ''))}</td></tr>"
        for i, f in enumerate(h["factors"])
    )
    ths = "".join(f"<th>{escape(label(k, lang))}</th>" for k in ("tag", "value", "source"))
    return _section(
        "methodology",
        lang,
        _kv(rows) + f'<table data-table="factors"><thead><tr>{ths}</tr></thead><tbody>{fac}</tbody></table>',
    )


def _digest(r: dict[str, Any], lang: Lang) -> str:
    d = r["digest"]
    return (
        f'<footer id="digest"><h2>{escape(label("digest", lang))}</h2>'
        f'<p><code class="digest" data-testid="digest">{escape(d["value"])}</code></p>'
        f"<p>{escape(label('digest_covers', lang))}: {escape(d['covers'])}</p>"
        f"<p>{escape(label('digest_recipe', lang))}</p></footer>"
    )


def body_html(report: dict[str, Any], lang: Lang) -> str:
    """The page's ``<main>``: every section of the report."""
    tables = {t.name: t for t in all_tables(report)}
    parts = [_header(report, lang), _summary(report, lang)]
    for name in ("energy", "emissions"):
        parts.append(_section(name, lang, table_html(tables[name], lang)))
    parts.append(
        _section(
            "instruments", lang, _instruments_extra(report, lang) + table_html(tables["instruments"], lang)
        )
    )
    parts.append(_section("indicators", lang, table_html(tables["indicators"], lang)))
    parts.append(
        _section("offsets", lang, _offsets_extra(report, lang) + table_html(tables["offsets"], lang))
    )
    parts.append(_section("footprints", lang, table_html(tables["footprints"], lang)))
    parts.append(_section("data_quality", lang, table_html(tables["data_quality"], lang)))
    parts.append(_section("nodes", lang, table_html(tables["nodes"], lang)))
    parts += [
        _recompute(report, lang),
        _missing(report, lang),
        _methodology(report, lang),
        _digest(report, lang),
    ]
    return f'<main class="report" data-report-id="{escape(report["report"]["id"])}">{"".join(parts)}</main>'


def render_html(report: dict[str, Any], lang: Lang = "en", css_href: str | None = None) -> str:
    """The whole page; the style sheet inlined, or linked from ``css_href``."""
    style = (
        f'<link rel="stylesheet" href="{escape(css_href)}">' if css_href else f"<style>{stylesheet()}</style>"
    )
    h = report["report"]
    title = f"{label('title', lang)} · {h['site']['id']} · {h['period']['key']}"
    return (
        f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        f"{style}</head><body>{body_html(report, lang)}</body></html>\n"
    )
