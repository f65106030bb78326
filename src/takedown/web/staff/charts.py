"""Charts drawn on the server as inline SVG: the dashboard needs no script and no network.

Each bar carries its figure in `data-value` and a `<title>`, so a reader with a screen reader,
a test, or a curious lead can read the exact number behind the picture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
BAR_AREA = 420  # pixels for the longest bar; the rest of the width is for its figure
LABEL_W = 8  # bars are indented under their group's label
ROW_H = 18
GAP = 10
COLOURS = ("#2f6f9f", "#d08c2f", "#a33b3b", "#4f8a4f")


@dataclass(frozen=True)
class Bar:
    series: str
    value: float | None


@dataclass(frozen=True)
class Group:
    label: str
    bars: Sequence[Bar]


def duration(seconds: float | None) -> str:
    """'—' for no figure, else the largest two units: '45 s', '12 min', '3 h 5 min', '2 d 4 h'."""
    if seconds is None:
        return "—"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    minutes, sec = divmod(s, 60)
    if minutes < 60:
        return f"{minutes} min" + (f" {sec} s" if sec and minutes < 10 else "")
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    days, hours = divmod(hours, 24)
    return f"{days} d" + (f" {hours} h" if hours else "")


def bar_chart(
    title: str,
    groups: Sequence[Group],
    fmt: Callable[[float | None], str] = duration,
    chart_id: str = "",
) -> Markup:
    """Horizontal grouped bars, one row per bar, scaled to the largest value."""
    largest = max((b.value or 0 for g in groups for b in g.bars), default=0) or 1
    series = list(dict.fromkeys(b.series for g in groups for b in g.bars))
    colour = {name: COLOURS[i % len(COLOURS)] for i, name in enumerate(series)}
    parts: list[str] = []
    y = 28
    for group in groups:
        parts.append(f'<text x="0" y="{y + 12}" class="group">{escape(group.label)}</text>')
        y += ROW_H
        for bar in group.bars:
            width = 0 if bar.value is None else max(1, round(bar.value / largest * BAR_AREA))
            text = f"{bar.series}: {fmt(bar.value)}"
            value = "" if bar.value is None else f"{bar.value:g}"
            parts.append(
                f'<g class="bar" data-group="{escape(group.label)}" '
                f'data-series="{escape(bar.series)}" data-value="{value}">'
                f"<title>{escape(group.label)}, {escape(text)}</title>"
                f'<rect x="{LABEL_W}" y="{y}" width="{width}" height="{ROW_H - 4}" '
                f'fill="{colour[bar.series]}"></rect>'
                f'<text x="{LABEL_W + width + 6}" y="{y + 11}">{escape(text)}</text></g>'
            )
            y += ROW_H
        y += GAP
    legend_x = 0
    legend = []
    for name in series:
        legend.append(
            f'<rect x="{legend_x}" y="6" width="10" height="10" fill="{colour[name]}"></rect>'
            f'<text x="{legend_x + 14}" y="15">{escape(name)}</text>'
        )
        legend_x += 14 + 8 * len(name) + 16
    height = y + 4
    ident = f' id="{escape(chart_id)}"' if chart_id else ""
    return Markup(
        f'<svg{ident} class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        + "".join(legend)
        + "".join(parts)
        + "</svg>"
    )


def count(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"
