"""The OpenAPI document lists every status an operation can answer, with the real body.

Refusals share one shape ({"error": {"code", "message", "field"}}), so they are
documented here from what each route is rather than route by route: a bearer token
means 401 and 403, a path parameter 404, a body 400 (not JSON) and 413, a write 409 and 429, and any
operation 422 and 503 (the store unreachable). FastAPI's own 422 schema describes
a body this service never sends, so it is replaced by the real one.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None


class ErrorBody(BaseModel):
    """Every refusal: what went wrong, in words a person can act on."""

    error: ErrorDetail


WHY = {
    "400": "the body is not JSON at all",
    "401": "no valid session (sign in first), or wrong credentials",
    "403": "the caller's role may not do this",
    "404": "no such item",
    "409": "the item's state, or the identity provider, does not allow this now",
    "413": "the request body is too large",
    "422": "the input is not valid (the message names the field)",
    "429": "too many attempts: wait for Retry-After seconds",
    "503": "the store is unreachable for now: retry after Retry-After seconds",
}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    """The refusals an operation can answer, read from what it takes: a bearer token
    (a `security` requirement), path parameters, a body, and whether it writes."""
    params = operation.get("parameters", [])
    authenticated = bool(operation.get("security"))
    writes = method in ("post", "put", "patch", "delete")
    public_sign_in = path.startswith(("/v1/agent/sessions", "/v1/enduser"))
    found = {"422", "503"}
    if authenticated:
        found |= {"401", "403", "409"}
    if public_sign_in and writes:
        found |= {"401", "409", "429"}
    if writes:
        found |= {"409", "429"}
    if "requestBody" in operation:
        found |= {"400", "413"}
    if any(p["in"] == "path" for p in params):
        found.add("404")
    return sorted(found)


def document_refusals(doc: dict[str, Any]) -> dict[str, Any]:
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorDetail, ErrorBody):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schema.pop("$defs", None)
        schemas[model.__name__] = schema
    for path, operations in doc.get("paths", {}).items():
        for method, operation in operations.items():
            answers = operation.setdefault("responses", {})
            for status in statuses(path, method, operation):
                answer: dict[str, Any] = {
                    "description": WHY[status],
                    "content": {"application/json": {"schema": _ERROR_REF}},
                }
                if status in ("429", "503"):
                    answer["headers"] = RETRY_AFTER
                answers[status] = answer
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return doc


def install_openapi(app: FastAPI) -> None:
    """Build the document once, with the refusals, when it is first asked for."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = document_refusals(doc)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
