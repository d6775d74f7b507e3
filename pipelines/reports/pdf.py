"""PDF building blocks on reportlab: a page with a title, key/value tables and a bar chart.

Output is deterministic (`invariant=1`: no creation date or random document id inside), so
the same data gives the same bytes and the same sha256, and a re-built report is recognisably
unchanged. Fonts are the PDF base fonts (Helvetica), embedded in every reader.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

STYLES = getSampleStyleSheet()
TABLE_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8f0")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def title(text: str) -> Paragraph:
    return Paragraph(_escape(text), STYLES["Title"])


def heading(text: str) -> Paragraph:
    return Paragraph(_escape(text), STYLES["Heading2"])


def para(text: str) -> Paragraph:
    return Paragraph(_escape(text), STYLES["BodyText"])


def table(rows: Sequence[Sequence[object]], widths: Sequence[float] | None = None) -> Table:
    """A grid; the first row is the header. Cells are text (Paragraphs wrap long values)."""
    cells = [[_cell(v) for v in row] for row in rows]
    t = Table(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
    t.setStyle(TABLE_STYLE)
    return t


def bar_chart(
    labels: Sequence[str], values: Sequence[float], caption: str, highlight: int | None = None
) -> Drawing:
    """A vertical bar chart; `highlight` colours one bar (e.g. the listing among its zip)."""
    drawing = Drawing(6.5 * inch, 2.6 * inch)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 35, 6.5 * inch - 60, 2.6 * inch - 60
    chart.data = [list(values) or [0]]
    chart.categoryAxis.categoryNames = list(labels) or [""]
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(labels) > 8 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(labels) > 8 else "n"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = colors.HexColor("#7f8fbf")
    if highlight is not None and 0 <= highlight < len(values):
        chart.bars[(0, highlight)].fillColor = colors.HexColor("#d0602a")
    drawing.add(chart)
    drawing.add(String(40, 2.6 * inch - 14, caption, fontName="Helvetica", fontSize=9))
    return drawing


def render(flowables: list, subject: str) -> bytes:
    """The document as PDF bytes (deterministic: the same flowables give the same bytes)."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=letter,
        title=subject,
        author="Folio",
        invariant=1,
        leftMargin=0.75 * inch,
        rightMargin=0.75 * inch,
        topMargin=0.75 * inch,
        bottomMargin=0.75 * inch,
    )
    doc.build([*flowables, Spacer(1, 0.1 * inch)])
    return out.getvalue()


def _cell(value: object):
    text = "" if value is None else str(value)
    return Paragraph(_escape(text), STYLES["BodyText"]) if len(text) > 40 else text


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
