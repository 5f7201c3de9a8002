"""docs/api/openapi.yaml and gateway_tornado/app.py describe the same API: every
route and method is in the spec, every operation of the spec is served, the
spec is a valid OpenAPI 3.1 document, and the gateway serves it as JSON."""
from __future__ import annotations

import json
import re

import tornado.web
import yaml
from openapi_spec_validator import validate

from gateway_tornado.app import make_app
from gateway_tornado.handlers.ops import SPEC

METHODS = ("get", "post", "put", "patch", "delete")


def spec() -> dict:
    return yaml.safe_load(SPEC.read_text())


def operations_served(gateway) -> set[tuple[str, str]]:
    """(path with each parameter as ``{}``, method) of every route's handler; the web
    client's static files (handlers/web.py) are not API routes."""
    served = set()
    for rule in make_app(gateway).wildcard_router.rules:
        if issubclass(rule.target, tornado.web.StaticFileHandler):
            continue
        path = re.sub(r"\([^)]*\)", "{}", rule.matcher.regex.pattern).rstrip("$")
        handler = rule.target
        served |= {(path, method) for method in METHODS
                   if getattr(handler, method) is not getattr(tornado.web.RequestHandler, method)}
    return served


def operations_described() -> set[tuple[str, str]]:
    return {(re.sub(r"\{[^}]+\}", "{}", path), method)
            for path, item in spec()["paths"].items() for method in item if method in METHODS}


def test_every_route_and_method_the_gateway_serves_is_in_the_spec(gateway):
    assert operations_served(gateway) - operations_described() == set()


def test_every_operation_of_the_spec_is_served(gateway):
    assert operations_described() - operations_served(gateway) == set()


def test_the_spec_is_a_valid_openapi_3_1_document():
    document = spec()
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on the first error


async def test_the_gateway_serves_the_spec_as_json_without_a_token(fetch):
    response = await fetch("/api/v1/openapi.json")
    assert response.code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body) == spec()
