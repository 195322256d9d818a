"""The pydantic schemas that both the socket handlers (``support/chat``) and the HTTP API
(``support/api``) validate with, owned by neither:

- ``base``: the strict base model, field types, the visitor profile both sides take, ``describe``;
- ``sockets``: the payload of each socket event (PROTOCOL §4);
- ``http``: request bodies and query strings of ``/api/v1``;
- ``answers``: what ``/api/v1`` answers, for the OpenAPI document (``api/openapi.py``)."""
