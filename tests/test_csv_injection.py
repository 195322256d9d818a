"""CSV injection from outside: a visitor writes formulas disguised with leading whitespace, line
breaks or full-width look-alikes; every CSV an admin downloads neutralises them (OWASP: a leading
quote)."""

from __future__ import annotations

import csv
import io

import pytest

pytestmark = pytest.mark.e2e

DISGUISED = [
    " =1+1",
    '\n=HYPERLINK("http://evil.example")',
    "\r\n+SUM(A1)",
    "\u3000-2+3",
    "\uff1d1+1",
    "\uff0bcmd",
    "\uff0d1",
    "\uff20SUM(A1)",
    "\t@SUM(A1)",
    "=plain",
]


def test_disguised_formulas_are_neutralised_in_every_csv(server):
    visitor = server.visitor(name="\uff1dname", email="csv@example.com")
    for number, body in enumerate(DISGUISED):
        visitor.ok("message:send", {"client_id": f"csv-{number}", "body": "x" + body})
        visitor.ok("message:send", {"client_id": f"csv-raw-{number}", "body": body})
    conversation = visitor.ok("conversation:get")["conversation"]["id"]
    downloads = [
        server.api("GET", f"/api/v1/conversations/{conversation}/transcript?format=csv"),
        server.api("GET", "/api/v1/exports/conversations?format=csv", who="admin"),
    ]
    for download in downloads:
        assert download.status_code == 200, download.text
        rows = list(csv.reader(io.StringIO(download.text)))
        cells = [cell for row in rows[1:] for cell in row]
        for cell in cells:
            assert cell.lstrip()[:1] not in set("=+-@\uff1d\uff0b\uff0d\uff20"), cell
        bodies = [row[-1] for row in rows[1:]]
        assert sum(body.startswith("'") for body in bodies) == len(DISGUISED)
        assert sum(body.startswith("x") for body in bodies) == len(DISGUISED)  # left alone
    visitor.close()
