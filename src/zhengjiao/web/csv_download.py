"""CSV downloads of the web pages: UTF-8 with a byte-order mark, so that Excel opens Chinese text."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence

from django.http import HttpResponse
from django.utils.http import content_disposition_header

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
# Excel opens UTF-8 CSV as UTF-8 only with a byte-order mark.
UTF8_BOM = "\ufeff"


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> HttpResponse:
    """An attachment named ``filename`` holding ``header`` then ``rows``."""
    response = HttpResponse(content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response.write(UTF8_BOM)
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response
