"""The report's chart as inline SVG (no script, no third-party asset): verified against
official votes at each flagged station."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import escape

ROW, LABEL, WIDTH = 22, 180, 420


def flagged_chart(data: Mapping[str, Any], verified_label: str, official_label: str) -> str:
    rows = [(f["station"], c) for f in data["flagged"] for c in f["candidates"]]
    top = max([max(c["verified"], c["official"]) for _, c in rows], default=1) or 1
    height = ROW * (len(rows) + 1) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{LABEL + WIDTH + 60}" '
        f'height="{height}" role="img" class="pvt-chart">',
        f'<rect x="{LABEL}" y="2" width="12" height="8" fill="#b22"/>'
        f'<text x="{LABEL + 16}" y="10" font-size="10">{escape(verified_label)}</text>'
        f'<rect x="{LABEL + 140}" y="2" width="12" height="8" fill="#888"/>'
        f'<text x="{LABEL + 156}" y="10" font-size="10">{escape(official_label)}</text>',
    ]
    for i, (station, c) in enumerate(rows):
        y = ROW * (i + 1)
        v, o = (round(WIDTH * c[k] / top) for k in ("verified", "official"))
        parts.append(
            f'<text x="0" y="{y + 12}" font-size="11">{escape(station)} · '
            f"{escape(c['candidate'])}</text>"
            f'<rect x="{LABEL}" y="{y}" width="{v}" height="8" fill="#b22"/>'
            f'<rect x="{LABEL}" y="{y + 9}" width="{o}" height="8" fill="#888"/>'
            f'<text x="{LABEL + max(v, o) + 4}" y="{y + 12}" font-size="10">'
            f"{c['verified']} / {c['official']}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
