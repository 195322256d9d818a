"""Server-side SVG charts for the reports page: no script, nothing to vendor, and readable
with the page's strict Content-Security-Policy. Every label is escaped."""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup, escape

BAR = "#1f6feb"
GRID = "#d0d7de"
INK = "#1f2328"
MUTED = "#59636e"


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 (every part is escaped above)


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 5 × a power of ten)."""
    if value <= 0:
        return 1
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10


def column_chart(
    points: list[tuple[str, float]],
    title: str,
    *,
    width: int = 720,
    height: int = 220,
    every: int | None = None,
) -> Markup:
    """Vertical bars (conversations per day); ``every`` thins the x labels."""
    left, bottom, top = 40, 28, 10
    plot_w, plot_h = width - left - 8, height - bottom - top
    top_value = _nice_max(max((v for _, v in points), default=0))
    every = every or max(1, len(points) // 10)
    slot = plot_w / max(1, len(points))
    body = []
    for tick in range(5):
        value = top_value * tick / 4
        y = top + plot_h - plot_h * tick / 4
        body.append(
            f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{MUTED}">{value:g}</text>'
        )
    for index, (label, value) in enumerate(points):
        bar_h = plot_h * value / top_value
        x = left + index * slot + slot * 0.15
        y = top + plot_h - bar_h
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar_h:.1f}" '
            f'rx="2" fill="{BAR}"><title>{escape(label)}: {value:g}</title></rect>'
        )
        if index % every == 0:
            body.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{height - 10}" text-anchor="middle" '
                f'font-size="11" fill="{MUTED}">{escape(label)}</text>'
            )
    return _svg(width, height, title, body)


def bar_chart(
    points: list[tuple[str, float | None]],
    title: str,
    *,
    fmt: Callable[[float | None], str] = lambda v: f"{v:g}",
    width: int = 480,
) -> Markup:
    """Horizontal bars with their value written out (ratings, per-agent times)."""
    row, label_w, value_w = 26, 130, 70
    height = max(row, row * len(points)) + 8
    plot_w = width - label_w - value_w
    top_value = max((v or 0 for _, v in points), default=0) or 1
    body = []
    for index, (label, value) in enumerate(points):
        y = 4 + index * row
        bar_w = plot_w * (value or 0) / top_value
        body.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" font-size="12" '
            f'fill="{INK}">{escape(label[:20])}</text>'
        )
        body.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w:.1f}" height="{row - 10}" '
            f'rx="2" fill="{BAR}"/>'
        )
        body.append(
            f'<text x="{label_w + bar_w + 6:.1f}" y="{y + 16}" font-size="12" '
            f'fill="{MUTED}">{escape(fmt(value))}</text>'
        )
    return _svg(width, height, title, body)
