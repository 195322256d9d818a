"""Files handed over as HTTP downloads, shared by the admin pages and the API (neither owns
it): the service builds the file (``services.exports``), this only sends it."""

from __future__ import annotations

from flask import Response, stream_with_context

from .services.exports import Download


def download_response(download: Download) -> Response:
    """``download`` as an attachment; chunked bodies are streamed inside the request's context,
    as they read the database while they are sent."""
    body = download.body
    if not isinstance(body, str):
        body = stream_with_context(body)
    response = Response(body, content_type=download.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    return response
