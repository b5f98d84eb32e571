"""The OpenAPI 3.1 document, generated from the registered endpoints.

Schemas come from the endpoints' pydantic models (JSON Schema 2020-12 is what
OpenAPI 3.1 uses, so they go in as they are); query models become parameters;
each operation lists the errors the adapter can give it (401/403 with roles,
404 with ids in the path, 400/422 with input) and those the endpoint declares.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from api.errors import ErrorBody
from api.registry import Endpoint

REF_TEMPLATE = "#/components/schemas/{model}"
ERROR_REF = {"$ref": REF_TEMPLATE.format(model=ErrorBody.__name__)}


def document(endpoints: list[Endpoint], *, title: str, version: str, prefix: str, security_schemes: dict[str, Any]) -> dict[str, Any]:
    models = [(ErrorBody, "serialization")]
    models += [(e.body, "validation") for e in endpoints if e.body is not None]
    models += [(e.response, "serialization") for e in endpoints if e.response is not None]
    refs, definitions = models_json_schema(models, ref_template=REF_TEMPLATE)
    schemas: dict[str, Any] = dict(definitions.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        parameters = _path_parameters(endpoint) + _query_parameters(endpoint.query, schemas)
        operation: dict[str, Any] = {
            "operationId": endpoint.handler.__name__,
            "summary": endpoint.summary,
            "tags": [endpoint.tag],
            "parameters": parameters,
            "responses": _responses(endpoint, refs),
        }
        if endpoint.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": refs[(endpoint.body, "validation")]}},
            }
        elif endpoint.consumes is not None:
            operation["requestBody"] = {"required": True, "content": {endpoint.consumes: {"schema": {"type": "string"}}}}
        if endpoint.roles is not None:
            operation["security"] = [{name: []} for name in security_schemes]
            operation["x-roles"] = sorted(endpoint.roles)
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "servers": [{"url": prefix}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": security_schemes},
    }


def _path_parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": _path_schema(endpoint, name)}
        for name in endpoint.path_params
    ]


def _path_schema(endpoint: Endpoint, name: str) -> dict[str, Any]:
    if name in endpoint.text_params:
        return {"type": "string", "pattern": f"^{endpoint.text_params[name]}$"}
    return {"type": "integer", "minimum": 0}


def _query_parameters(model: type[BaseModel] | None, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    schemas.update(schema.get("$defs", {}))
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if "description" in prop:
            parameter["description"] = prop.pop("description")
        parameters.append(parameter)
    return parameters


def _responses(endpoint: Endpoint, refs: dict[Any, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {str(endpoint.status): _success(endpoint, refs)}
    for status in _error_statuses(endpoint):
        responses[str(status)] = {
            "description": HTTPStatus(status).phrase,
            "content": {"application/json": {"schema": ERROR_REF}},
        }
    return responses


def _success(endpoint: Endpoint, refs: dict[Any, Any]) -> dict[str, Any]:
    success: dict[str, Any] = {"description": HTTPStatus(endpoint.status).phrase}
    if endpoint.response is not None:
        success["content"] = {"application/json": {"schema": refs[(endpoint.response, "serialization")]}}
    elif endpoint.produces != "application/json":
        success["content"] = {endpoint.produces: {"schema": {"type": "string", "contentMediaType": endpoint.produces}}}
    return success


def _error_statuses(endpoint: Endpoint) -> Iterable[int]:
    statuses = set(endpoint.errors)
    if endpoint.roles is not None:
        statuses |= {401, 403}
    if endpoint.path_params:
        statuses.add(404)
    if endpoint.query is not None or endpoint.body is not None:
        statuses |= {400, 422}
    if endpoint.body is not None:
        statuses.add(415)
    return sorted(statuses)
