"""report.html: one self-contained page (no scripts, no external files) with the tables and inline SVG plots:
a reliability diagram per model and the relation violation rates per student."""

from __future__ import annotations

from html import escape

from metacompress_core.evaluation.tables import (
    FLIPS,
    RELATION_COLUMNS,
    Table,
    all_tables,
    model_label,
    relation_cell,
    roles,
    students,
)

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:80em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:.9em}
figure{display:inline-block;margin:0 1.5em 1.5em 0}figcaption{font-size:.9em;text-align:center}
"""
_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3")


def _table(table: Table) -> str:
    parts = [f"<h2>{escape(table.title)}</h2>"]
    if table.rows:
        head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
        body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table.rows)
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    if table.note:
        parts.append(f'<p class="note">{escape(table.note)}</p>')
    return "\n".join(parts)


def reliability_svg(bins: list[dict], title: str, size: int = 300) -> str:
    """Accuracy per confidence bin (bars, with the bin's number of inputs above) and its mean confidence
    (dots), against the diagonal of perfect calibration; both axes with ticks at 0, 0.2, ..., 1."""
    left, right, top, bottom = 46, 12, 20, 40
    width, height = size - left - right, size - top - bottom

    def x(v: float) -> float:
        return left + v * width

    def y(v: float) -> float:
        return top + (1 - v) * height

    shapes = []
    for k in range(6):
        v = k / 5
        shapes.append(
            f'<line x1="{x(v):.1f}" y1="{y(0):.1f}" x2="{x(v):.1f}" y2="{y(0) + 4:.1f}" stroke="#333"/>'
            f'<text class="tick" x="{x(v):.1f}" y="{y(0) + 14:.1f}" font-size="9" text-anchor="middle">{v:.1f}</text>'
            f'<line x1="{x(0) - 4:.1f}" y1="{y(v):.1f}" x2="{x(0):.1f}" y2="{y(v):.1f}" stroke="#333"/>'
            f'<line x1="{x(0):.1f}" y1="{y(v):.1f}" x2="{x(1):.1f}" y2="{y(v):.1f}" stroke="#eee"/>'
            f'<text class="tick" x="{x(0) - 6:.1f}" y="{y(v) + 3:.1f}" font-size="9" text-anchor="end">{v:.1f}</text>'
        )
    for b in bins:
        if not b["count"]:
            continue
        lo, bar = x(b["lower"]), width * (b["upper"] - b["lower"])
        tip = y(b["accuracy"])
        cx = x((b["lower"] + b["upper"]) / 2)
        shapes.append(
            f'<rect x="{lo:.1f}" y="{tip:.1f}" width="{bar - 1:.1f}" height="{y(0) - tip:.1f}" '
            f'fill="#4c72b0" opacity="0.8"><title>({b["lower"]:.1f}, {b["upper"]:.1f}]: {b["count"]} inputs, '
            f"accuracy {b['accuracy']:.3f}, mean confidence {b['confidence']:.3f}</title></rect>"
            f'<text class="count" x="{cx:.1f}" y="{tip - 3:.1f}" font-size="8" text-anchor="middle">'
            f"{b['count']}</text>"
            f'<circle cx="{cx:.1f}" cy="{y(b["confidence"]):.1f}" r="2.5" fill="#c44e52"/>'
        )
    axes = (
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(0)}" stroke="#333"/>'
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(0)}" y2="{y(1)}" stroke="#333"/>'
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="#999" stroke-dasharray="4"/>'
        f'<text x="{x(0.5):.1f}" y="{size - 8}" font-size="10" text-anchor="middle">confidence (top probability)</text>'
        f'<text x="12" y="{y(0.5):.1f}" font-size="10" transform="rotate(-90 12 {y(0.5):.1f})" '
        'text-anchor="middle">accuracy</text>'
    )
    caption = (
        f"{title}. Bars: accuracy per bin (number of inputs above); dots: mean confidence; dashed: perfect"
    )
    return (
        f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" role="img">'
        f"<title>{escape(title)}</title>{''.join(shapes)}{axes}</svg>"
        f"<figcaption>{escape(caption)} calibration.</figcaption></figure>"
    )


def violation_svg(series: dict[str, dict], title: str, width: int = 640, height: int = 260) -> str:
    """Grouped bars: per relation, one bar per series (a student on some kind of input)."""
    pad, bottom = 40, 60
    names = [(name, short) for name, short in RELATION_COLUMNS]
    group = (width - pad) / len(names)
    bar = group * 0.8 / max(len(series), 1)
    plot = height - bottom - 10
    shapes = [f'<line x1="{pad}" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" stroke="#333"/>']
    for tick in (0, 0.25, 0.5, 0.75, 1):
        ty = height - bottom - tick * plot
        shapes.append(
            f'<line x1="{pad - 3}" y1="{ty:.1f}" x2="{pad}" y2="{ty:.1f}" stroke="#333"/>'
            f'<text class="tick" x="{pad - 5}" y="{ty + 3:.1f}" font-size="9" text-anchor="end">'
            f"{int(tick * 100)}%</text>"
        )
    for g, (name, short) in enumerate(names):
        gx = pad + g * group + group * 0.1
        for k, (label, rates) in enumerate(series.items()):
            entry = rates.get(name, {})
            rate = entry.get("rate")
            if rate is None:
                continue
            h = rate * plot
            shapes.append(
                f'<rect x="{gx + k * bar:.1f}" y="{height - bottom - h:.1f}" width="{bar - 1:.1f}" '
                f'height="{h:.1f}" fill="{_COLORS[k % len(_COLORS)]}"><title>{escape(label)}: {escape(name)} '
                f"{escape(relation_cell(rates, name))}</title></rect>"
            )
            if entry.get("ci"):
                cx = gx + k * bar + (bar - 1) / 2
                lo, hi = (height - bottom - v * plot for v in entry["ci"])
                shapes.append(
                    f'<path class="ci" d="M{cx - 2:.1f},{lo:.1f}H{cx + 2:.1f}M{cx:.1f},{lo:.1f}V{hi:.1f}'
                    f'M{cx - 2:.1f},{hi:.1f}H{cx + 2:.1f}" stroke="#222" fill="none"/>'
                )
        shapes.append(
            f'<text x="{pad + (g + 0.5) * group:.1f}" y="{height - bottom + 14}" font-size="10" '
            f'text-anchor="middle">{escape(short)}</text>'
        )
    for k, label in enumerate(series):
        ly = height - bottom + 28 + 12 * (k % 2)
        lx = pad + (k // 2) * 220
        shapes.append(
            f'<rect x="{lx}" y="{ly - 8}" width="8" height="8" fill="{_COLORS[k % len(_COLORS)]}"/>'
        )
        shapes.append(f'<text x="{lx + 12}" y="{ly}" font-size="10">{escape(label)}</text>')
    return (
        f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 10}" role="img">'
        f"<title>{escape(title)}</title>{''.join(shapes)}</svg><figcaption>{escape(title)}</figcaption></figure>"
    )


def render_html(results: dict) -> str:
    sections = [_table(t) for t in all_tables(results)]
    plots = ["<h2>Violation rates</h2>"]
    rel = results["relations"]
    for s in students(results):
        original = {k: v for k, v in rel["original"][s].items() if k not in FLIPS}  # nothing to flip from
        series = {"original": original, "transformed": rel["transformed"][s]["all"]}
        for a, per_student in rel.get("attacked", {}).items():
            for against, rates in per_student[s].items():
                series[f"{a} {against}"] = rates
        plots.append(
            violation_svg(
                series, f"Relation violation rates (whiskers: 95% intervals): {model_label(results, s)}"
            )
        )
    plots.append("<h2>Reliability diagrams</h2>")
    for role in roles(results):
        ece = results["calibration"][role]["ece"]
        plots.append(
            reliability_svg(
                results["calibration"][role]["bins"], f"{model_label(results, role)}, ECE {ece:.4f}"
            )
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>MetaCompress evaluation</title>'
        f"<style>{_STYLE}</style></head><body><h1>MetaCompress evaluation</h1>\n"
        + "\n".join(sections[:3] + plots + sections[3:])
        + "\n</body></html>\n"
    )
