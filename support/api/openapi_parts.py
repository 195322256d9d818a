"""Small builders for OpenAPI fragments, shared by the public and the admin descriptions."""

from __future__ import annotations


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def error_responses(*statuses: int) -> dict:
    return {str(status): json_response(ref("Error"), "Error") for status in statuses}


def request_body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def path_param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def query_param(name: str, description: str, schema: dict | None = None) -> dict:
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": schema or {"type": "string"},
    }
