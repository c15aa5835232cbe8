"""The OpenAPI schema and its documentation page.

Swagger UI and Redoc need scripts from a CDN and inline styles, which the CSP refuses (and the
network may not reach), so the page is rendered here, on the server, from the same schema that
/api/schema/ serves: every operation with its parameters, example requests and responses, and curl.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

METHODS = ("get", "post", "put", "patch", "delete")


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema (YAML by default, JSON with ?format=json). Public."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []


@cache
def api_schema() -> dict[str, Any]:
    """The schema as a dict. It depends only on the code, so one build per process is enough."""
    schema: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    return schema


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not ref:
        return node
    target: Any = schema
    for part in ref.lstrip("#/").split("/"):
        target = target[part]
    resolved: dict[str, Any] = target
    return resolved


def _type_of(schema: dict[str, Any], node: dict[str, Any]) -> str:
    node = _resolve(schema, node)
    if "enum" in node:
        return "one of " + ", ".join(str(v) for v in node["enum"])
    kind = node.get("type", "object")
    return f"{kind} ({node['format']})" if "format" in node else str(kind)


def _examples(content: dict[str, Any]) -> list[dict[str, str]]:
    media = content.get("application/json", {})
    return [{"name": name, "json": json.dumps(example.get("value"), indent=2, ensure_ascii=False)}
            for name, example in media.get("examples", {}).items()]


def _curl(method: str, path: str, secured: bool, body: list[dict[str, str]]) -> str:
    parts = ["curl"]
    if method != "get":
        parts.append(f"-X {method.upper()}")
    if secured:
        parts.append('-H "Authorization: Bearer $STRIKEOPS_TOKEN"')
    if body:
        parts.append('-H "Content-Type: application/json"')
        parts.append(f"--data '{json.dumps(json.loads(body[0]['json']), separators=(',', ':'))}'")
    parts.append(f'"$STRIKEOPS_URL{path}"')
    return " \\\n  ".join(parts)


def operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Every operation of the schema, grouped by tag, ready for the template."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            secured = any(requirement for requirement in op.get("security", [{}]))
            public = {} in op.get("security", [{}]) or not op.get("security")
            parameters = [{
                "name": p["name"], "where": p["in"], "type": _type_of(schema, p.get("schema", {})),
                "required": p.get("required", False), "description": p.get("description", ""),
            } for p in op.get("parameters", [])]
            request_examples = _examples(op.get("requestBody", {}).get("content", {}))
            request_schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            fields = []
            if request_schema:
                resolved = _resolve(schema, request_schema)
                required = set(resolved.get("required", []))
                fields = [{"name": name, "type": _type_of(schema, prop), "required": name in required,
                           "description": _resolve(schema, prop).get("description", "")}
                          for name, prop in resolved.get("properties", {}).items()]
            responses = [{
                "status": code, "description": response.get("description", ""),
                "examples": _examples(response.get("content", {})),
            } for code, response in op.get("responses", {}).items()]
            tag = (op.get("tags") or ["Other"])[0]
            groups.setdefault(tag, []).append({
                "id": op["operationId"], "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                "description": op.get("description", ""), "needs_token": secured and not public,
                "parameters": parameters, "fields": fields, "request_examples": request_examples,
                "responses": responses, "curl": _curl(method, path, secured and not public, request_examples),
            })
    return [{"tag": tag, "operations": ops} for tag, ops in groups.items()]


def docs_page(request: HttpRequest) -> HttpResponse:
    schema = api_schema()
    return render(request, "api/docs.html", {
        "info": schema["info"], "groups": operations(schema),
        "error_example": json.dumps({"error": {
            "status": 422, "code": "invalid", "message": "Staff absent must be 0 or more",
            "fields": {"staff_absent": ["Staff absent must be 0 or more"]}, "warnings": []}}, indent=2),
    })
