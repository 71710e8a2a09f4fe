"""OpenAPI 3.1 documents built from the pydantic models that the handlers validate and answer with.

Each service names its operations in a small table (:class:`Operation`: method, path, the models of
its query, body and answers); the JSON Schemas come from pydantic (``models_json_schema``: the
validation schema of what comes in, the serialization schema of what goes out), so the document
says what the code checks and nothing else. :func:`add_openapi` serves it at ``/openapi.json`` on
the public port. ``tests/service/test_openapi.py`` holds every table to its application's routes,
and schemathesis drives each service from its document.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from shared.web import PROBLEM_TYPE, json_response

REF_TEMPLATE = "#/components/schemas/{model}"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
Method = Literal["get", "post", "put", "patch", "delete"]


class FieldError(BaseModel):
    field: str
    message: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, as :func:`shared.web.problem_response` writes them."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None


class Health(BaseModel):
    status: Literal["ok"]


@dataclass(frozen=True)
class Answer:
    """One response: its status, what it means, and its body (a model, a raw schema, or none)."""

    status: int | Literal["default"]
    description: str
    model: type[BaseModel] | None = None
    media: str = JSON
    schema: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # name -> description


def problem(
    status: int | Literal["default"], description: str, headers: Mapping[str, str] | None = None
) -> Answer:
    return Answer(status, description, ProblemDetails, PROBLEM_TYPE, headers=headers or {})


# The answers every operation may give: a problem for anything the table does not list (405, a
# body too slow, a request the middleware refuses).
OTHER = problem("default", "any other refusal, as problem details")
UNAUTHORISED = problem(401, "no valid bearer token")
FORBIDDEN = problem(403, "the token's role may not use this API")
BAD_BODY = (
    problem(400, "the body is malformed (not UTF-8, holds NUL, not JSON, nested too deeply)"),
    problem(413, "the body is larger than 64 KiB"),
    problem(415, "the body is not of the declared media type"),
    problem(422, "the body is valid JSON but not what the operation expects; `errors` says where"),
)
BAD_QUERY = problem(422, "a query parameter is not what the operation expects")
UNAVAILABLE = problem(
    503, "the event bus did not confirm; retry", {"Retry-After": "seconds to wait before retrying"}
)


@dataclass(frozen=True)
class Operation:
    method: Method
    path: str
    operation_id: str
    summary: str
    answers: tuple[Answer, ...]
    tags: tuple[str, ...] = ()
    bearer: bool = False
    body: type[BaseModel] | None = None
    body_media: str = JSON
    body_required: bool = True
    query: type[BaseModel] | None = None
    path_parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    headers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # name -> schema (optional)
    description: str | None = None


def _models(operations: Iterable[Operation]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {}
    for op in operations:
        for model in (op.body, op.query):
            if model is not None:
                wanted[(model, "validation")] = None
        for answer in op.answers:
            if answer.model is not None:
                wanted[(answer.model, "serialization")] = None
    return list(wanted)


def build_document(
    title: str, version: str, description: str, operations: Iterable[Operation]
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``operations``: every schema under ``components/schemas``."""
    operations = list(operations)
    models = _models(operations)
    refs, defs = models_json_schema(models, ref_template=REF_TEMPLATE)
    components: dict[str, Any] = {"schemas": dict(sorted(defs.get("$defs", {}).items()))}
    if any(op.bearer for op in operations):
        components["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "a `gvt_` token"}
        }
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method] = _operation(op, refs, defs.get("$defs", {}))
    components["schemas"] = _reachable(paths, components["schemas"])
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "paths": paths,
        "components": components,
    }


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_TEMPLATE.split("{", 1)[0]):
            yield ref.rsplit("/", 1)[-1]
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _reachable(paths: Mapping[str, Any], schemas: Mapping[str, Any]) -> dict[str, Any]:
    """The schemas the operations refer to, directly or through other schemas (a query model's own
    schema is spread into parameters, so it is not kept)."""
    seen: set[str] = set()
    todo = list(_refs(dict(paths)))
    while todo:
        name = todo.pop()
        if name not in seen and name in schemas:
            seen.add(name)
            todo.extend(_refs(schemas[name]))
    return {name: schema for name, schema in schemas.items() if name in seen}


def _operation(op: Operation, refs: Mapping[Any, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    built: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary}
    if op.description:
        built["description"] = op.description
    if op.tags:
        built["tags"] = list(op.tags)
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": dict(schema)}
        for name, schema in op.path_parameters.items()
    ]
    if op.query is not None:
        parameters += _query_parameters(refs[(op.query, "validation")], defs)
    parameters += [
        {"name": name, "in": "header", "required": False, "schema": dict(schema)}
        for name, schema in op.headers.items()
    ]
    if parameters:
        built["parameters"] = parameters
    if op.body is not None:
        built["requestBody"] = {
            "required": op.body_required,
            "content": {op.body_media: {"schema": refs[(op.body, "validation")]}},
        }
    built["responses"] = {str(a.status): _answer(a, refs) for a in (*op.answers, OTHER)}
    built["security"] = [{"bearer": []}] if op.bearer else []
    return built


def _query_parameters(ref: Mapping[str, Any], defs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A query model's fields as query parameters (the model itself is not a component)."""
    name = str(ref["$ref"]).rsplit("/", 1)[-1]
    schema = defs[name]
    required = set(schema.get("required", ()))
    return [
        {"name": field_name, "in": "query", "required": field_name in required, "schema": field_schema}
        for field_name, field_schema in schema.get("properties", {}).items()
    ]


def _answer(answer: Answer, refs: Mapping[Any, Any]) -> dict[str, Any]:
    built: dict[str, Any] = {"description": answer.description}
    if answer.model is not None:
        built["content"] = {answer.media: {"schema": refs[(answer.model, "serialization")]}}
    elif answer.schema is not None:
        built["content"] = {answer.media: {"schema": dict(answer.schema)}}
    if answer.headers:
        built["headers"] = {
            name: {"description": text, "schema": {"type": "string"}} for name, text in answer.headers.items()
        }
    return built


OPENAPI_PATH = "/openapi.json"
OPENAPI_OPERATION = Operation(
    "get",
    OPENAPI_PATH,
    "openapi",
    "this document",
    (Answer(200, "the OpenAPI 3.1 document of this service", schema={"type": "object"}),),
    tags=("meta",),
)
HEALTHZ_OPERATION = Operation(
    "get",
    "/healthz",
    "healthz",
    "the process answers (nothing more: readiness and metrics are on the operational port)",
    (Answer(200, "alive", Health),),
    tags=("meta",),
)


def add_openapi(app: web.Application, document: Mapping[str, Any]) -> None:
    """Serve ``document`` at ``/openapi.json``."""
    body = dict(document)

    async def openapi(_: web.Request) -> web.Response:
        return json_response(body)

    app.router.add_get(OPENAPI_PATH, openapi)
