"""The market report of one audience, as one self-contained HTML page (pure, no I/O).

`render_report(ReportData)` returns the page: size over time, the split by platform, tribe and
follower tier, the execution-label confidence distribution, and enrichment yield and spend of
the members, each chart an inline SVG drawn here. No script, no external CSS, font or image:
the file opens offline and reads the same with JavaScript off. Every number a chart shows is
also written as text (a `data-metric` attribute names it), so a reader, or a test, can check
it against the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

BAR_W, ROW_H, LABEL_W = 360, 22, 170
PALETTE = ("#2f6fb0", "#d9822b", "#3a9a5b", "#b5475b", "#7a5ab8", "#6b7785")


@dataclass(frozen=True)
class ReportData:
    """What the report shows, as read from the database (sxp_common.audience_report_data)."""

    name: str
    description: str
    criteria_hash: str
    version: int
    generated_at: str
    members: int
    size_history: Sequence[tuple[str, int]] = ()
    by_platform: Mapping[str, int] = field(default_factory=dict)
    by_tribe: Mapping[str, int] = field(default_factory=dict)
    by_tier: Mapping[str, int] = field(default_factory=dict)
    confidence: Mapping[str, int] = field(default_factory=dict)
    enrichment: Mapping[str, int] = field(default_factory=dict)
    spend_usd: float = 0.0

    @property
    def enrichment_yield(self) -> float | None:
        """Enriched among the members whose enrichment finished (None when none did)."""
        done = self.enrichment.get("ENRICHED", 0) + self.enrichment.get("FAILED", 0)
        return None if done == 0 else self.enrichment.get("ENRICHED", 0) / done


def bar_chart(title: str, metric: str, counts: Mapping[str, int]) -> str:
    """Horizontal bars, one per key (largest first), each with its count written beside it."""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if not items:
        return f'<section><h2>{escape(title)}</h2><p class="empty">no members</p></section>'
    top = max(v for _, v in items) or 1
    height = ROW_H * len(items) + 8
    rows = []
    for index, (key, value) in enumerate(items):
        y = 4 + index * ROW_H
        width = max(1, round(BAR_W * value / top)) if value else 0
        color = PALETTE[index % len(PALETTE)]
        rows.append(
            f'<text x="{LABEL_W - 6}" y="{y + 15}" text-anchor="end">{escape(key)}</text>'
            f'<rect x="{LABEL_W}" y="{y + 3}" width="{width}" height="{ROW_H - 6}" '
            f'fill="{color}"><title>{escape(key)}: {value}</title></rect>'
            f'<text x="{LABEL_W + width + 6}" y="{y + 15}">{value}</text>')
    table = "".join(f'<tr><td>{escape(k)}</td><td data-metric="{escape(metric)}:{escape(k)}">'
                    f'{v}</td></tr>' for k, v in items)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{LABEL_W + BAR_W + 60}" '
           f'height="{height}" aria-label="{escape(title)}">{"".join(rows)}</svg>')
    return (f'<section><h2>{escape(title)}</h2>{svg}<table class="numbers">'
            f'<tr><th>value</th><th>members</th></tr>{table}</table></section>')


def line_chart(title: str, points: Sequence[tuple[str, int]]) -> str:
    """Members over time: a polyline with a dot and the count at each snapshot."""
    if not points:
        return f'<section><h2>{escape(title)}</h2><p class="empty">no snapshots yet</p></section>'
    width, height, pad = 560, 180, 30
    top = max(v for _, v in points) or 1
    step = (width - 2 * pad) / max(1, len(points) - 1)
    xy = [(pad + i * step, height - pad - (height - 2 * pad) * v / top)
          for i, (_, v) in enumerate(points)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{PALETTE[0]}">'
        f'<title>{escape(t)}: {v}</title></circle>'
        f'<text x="{x:.1f}" y="{y - 7:.1f}" text-anchor="middle">{v}</text>'
        for (x, y), (t, v) in zip(xy, points, strict=True))
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
           f'height="{height}" aria-label="{escape(title)}">'
           f'<polyline points="{line}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>'
           f'{dots}</svg>')
    table = "".join(f'<tr><td>{escape(t)}</td><td data-metric="size:{escape(t)}">{v}</td></tr>'
                    for t, v in points)
    return (f'<section><h2>{escape(title)}</h2>{svg}<table class="numbers">'
            f'<tr><th>taken at</th><th>members</th></tr>{table}</table></section>')


STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:980px}
h1{margin-bottom:.2em}.meta{color:#666}.kpis{display:flex;gap:2em;margin:1.5em 0}
.kpi{border:1px solid #ddd;border-radius:6px;padding:.6em 1.2em}.kpi b{display:block;
font-size:1.6em}section{margin:2em 0}svg text{font-size:12px;fill:#333}
table.numbers{border-collapse:collapse;font-size:12px;margin-top:.5em}
table.numbers td,table.numbers th{border:1px solid #e3e3e3;padding:2px 8px;text-align:left}
.empty{color:#888}"""


def _kpi(label: str, metric: str, value: str) -> str:
    return f'<div class="kpi">{escape(label)}<b data-metric="{metric}">{escape(value)}</b></div>'


def render_report(data: ReportData) -> str:
    """The whole page, one self-contained HTML document."""
    yielded = data.enrichment_yield
    kpis = "".join([
        _kpi("members", "members", str(data.members)),
        _kpi("enriched", "enriched", str(data.enrichment.get("ENRICHED", 0))),
        _kpi("enrichment yield", "yield", "n/a" if yielded is None else f"{yielded:.1%}"),
        _kpi("enrichment spend", "spend_usd", f"${data.spend_usd:,.2f}"),
    ])
    sections = "".join([
        line_chart("Size over time", data.size_history),
        bar_chart("By platform", "platform", data.by_platform),
        bar_chart("By tribe", "tribe", data.by_tribe),
        bar_chart("By follower tier", "tier", data.by_tier),
        bar_chart("Execution label confidence", "confidence", data.confidence),
        bar_chart("Enrichment status", "enrichment", data.enrichment),
    ])
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Audience {escape(data.name)}: market report</title>"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>Audience <span data-metric=\"name\">{escape(data.name)}</span></h1>"
        f"<p>{escape(data.description)}</p>"
        f"<p class=\"meta\">version {data.version} · criteria "
        f"<code data-metric=\"criteria_hash\">{escape(data.criteria_hash)}</code> · generated "
        f"{escape(data.generated_at)}</p>"
        f"<div class=\"kpis\">{kpis}</div>{sections}</body></html>\n")
