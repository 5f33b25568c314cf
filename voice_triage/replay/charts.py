"""Inline SVG charts for the replay reports, each followed by a table holding the same numbers.

No script, no external resource: the SVG is part of the page. Each chart is a ``figure`` whose
caption names it; the ``svg`` has ``role="img"`` and is labelled by that caption and a description
saying where the numbers are, and the table after it is the text equivalent a screen reader reads
(the drawing adds nothing the table does not say). Text in the drawings is #111 on white or on
light fills (contrast above 7:1); the colour of a bar never carries meaning on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any, Final

#: Drawing sizes in SVG units (the drawing scales with the page width).
_LABEL_W: Final = 220
_BAR_W: Final = 360
_ROW_H: Final = 26
_CELL_W: Final = 92
_INK: Final = "#111111"
_BAR: Final = "#0b4f9c"
#: Heat-grid fills from white (none) to a light blue (most); #111 text stays above 7:1 on all.
_LIGHT: Final = (255, 255, 255)
_DARK: Final = (143, 184, 232)


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _figure(chart_id: str, caption: str, svg_body: list[str], width: int, height: int) -> list[str]:
    return [
        f'<figure class="chart" id="{chart_id}">',
        f'<figcaption id="{chart_id}-caption">{_e(caption)}</figcaption>',
        f'<svg role="img" aria-labelledby="{chart_id}-caption {chart_id}-desc" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" xmlns="http://www.w3.org/2000/svg">',
        f'<desc id="{chart_id}-desc">A chart; the table that follows gives the same numbers.</desc>',
        *svg_body, "</svg>", "</figure>",
    ]


def _table(caption: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = ['<table class="equivalent">', f"<caption>{_e(caption)}</caption>", "<thead><tr>"]
    out += [f'<th scope="col">{_e(cell)}</th>' for cell in head]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append(f'<tr><th scope="row">{_e(row[0])}</th>' + "".join(f"<td>{_e(c)}</td>" for c in row[1:]) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def bar_chart(chart_id: str, caption: str, rows: Sequence[tuple[str, float | None, str]],
              scale: float, head: Sequence[str]) -> str:
    """Horizontal bars: ``rows`` of (label, value or None, value as text); ``scale`` is a full bar.

    ``head`` names the table's columns (label, value, and any extra column is not drawn)."""
    height = max(1, len(rows)) * _ROW_H + 8
    width = _LABEL_W + _BAR_W + 190
    body = []
    for i, (label, value, text) in enumerate(rows):
        y = 4 + i * _ROW_H
        length = 0.0 if value is None or scale <= 0 else max(0.0, min(1.0, value / scale)) * _BAR_W
        body.append(f'<text x="{_LABEL_W - 8}" y="{y + 17}" text-anchor="end" font-size="14" fill="{_INK}">'
                    f"{_e(label)}</text>")
        body.append(f'<rect x="{_LABEL_W}" y="{y + 3}" width="{_BAR_W}" height="{_ROW_H - 8}" fill="none" '
                    f'stroke="#767676" stroke-width="1"/>')
        if length > 0:
            body.append(f'<rect x="{_LABEL_W}" y="{y + 3}" width="{length:.1f}" height="{_ROW_H - 8}" fill="{_BAR}"/>')
        body.append(f'<text x="{_LABEL_W + _BAR_W + 8}" y="{y + 17}" font-size="14" fill="{_INK}">{_e(text)}</text>')
    figure = _figure(chart_id, caption, body, width, height)
    table = _table(f"{caption} (table)", head, [[label, text] for label, _, text in rows])
    return "\n".join([*figure, table])


def _fill(share: float) -> str:
    r, g, b = (round(lo + (hi - lo) * share) for lo, hi in zip(_LIGHT, _DARK, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def grid_chart(chart_id: str, caption: str, row_head: str, rows: Sequence[str], cols: Sequence[str],
               counts: dict[tuple[str, str], int], marked: set[tuple[str, str]]) -> str:
    """A heat grid of counts (rows × columns); ``marked`` cells (the right answer) get a heavy border.

    The table after it has one row per grid row and one column per grid column, the marked cells
    written "N (expected)" so the mark is in the words too."""
    label_w = _LABEL_W
    top = 28
    width = label_w + len(cols) * _CELL_W + 8
    height = top + max(1, len(rows)) * _ROW_H + 8
    most = max(counts.values(), default=0)
    body = []
    for j, col in enumerate(cols):
        body.append(f'<text x="{label_w + j * _CELL_W + _CELL_W / 2:.0f}" y="18" text-anchor="middle" '
                    f'font-size="13" fill="{_INK}">{_e(col)}</text>')
    for i, row in enumerate(rows):
        y = top + i * _ROW_H
        body.append(f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="13" fill="{_INK}">'
                    f"{_e(row)}</text>")
        for j, col in enumerate(cols):
            n = counts.get((row, col), 0)
            heavy = (row, col) in marked
            x = label_w + j * _CELL_W
            body.append(f'<rect x="{x + 1}" y="{y + 1}" width="{_CELL_W - 2}" height="{_ROW_H - 2}" '
                        f'fill="{_fill(n / most if most else 0.0)}" stroke="{_INK if heavy else "#767676"}" '
                        f'stroke-width="{3 if heavy else 1}"/>')
            body.append(f'<text x="{x + _CELL_W / 2:.0f}" y="{y + 17}" text-anchor="middle" font-size="13" '
                        f'fill="{_INK}">{n}</text>')
    figure = _figure(chart_id, caption, body, width, height)
    table_rows = [[row, *[f"{counts.get((row, col), 0)}{' (expected)' if (row, col) in marked else ''}"
                          for col in cols]] for row in rows]
    table = _table(f"{caption} (table)", [row_head, *cols], table_rows)
    return "\n".join([*figure, table])
