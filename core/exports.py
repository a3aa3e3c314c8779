"""CSV and PDF responses for reports (WeasyPrint renders the PDFs from HTML templates)."""

import csv
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string

# Cells a spreadsheet would run as a formula are prefixed with a quote (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(rows: Iterable[list], *, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    for row in rows:
        writer.writerow([_safe_cell(v) for v in row])
    return response


def pdf_bytes(template: str, context: dict) -> bytes:
    """Render a template to PDF; static files (the print stylesheet) are read from disk."""
    from weasyprint import HTML  # imported late: it needs Pango, only PDF pages do

    html = render_to_string(template, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR / "static")).write_pdf()


def pdf_response(
    template: str, context: dict, *, filename: str, inline: bool = False
) -> HttpResponse:
    response = HttpResponse(pdf_bytes(template, context), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response
