"""The OpenAPI schema as a contract: valid OpenAPI 3, every API route in it, every operation
documenting its bodies and the errors it can answer with, and the main flows with examples."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from openapi_spec_validator import validate
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
# Plain Django views under /api/: the calendar feed's credential is the secret in its address,
# so it is no DRF view and sits outside the schema (API.md documents it).
OUTSIDE_THE_SCHEMA = {"/api/v1/a/{alliance_slug}/calendar.ics"}
# The flows a partner system automates, each shown with a worked example.
MAIN_FLOWS = [
    ("post", "/api/v1/auth/token/"),
    ("post", "/api/v1/a/{alliance_slug}/declarations/"),
    ("post", "/api/v1/a/{alliance_slug}/declarations/{id}/vote/"),
    ("post", "/api/v1/a/{alliance_slug}/declarations/{id}/withdraw/"),
    ("post", "/api/v1/a/{alliance_slug}/disputes/"),
    ("post", "/api/v1/a/{alliance_slug}/disputes/{id}/ruling/"),
    ("post", "/api/v1/a/{alliance_slug}/reports/"),
]


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def api_routes() -> set[str]:
    """Every URL the resolver serves under /api/v1/, written as the schema writes paths."""
    found: set[str] = set()

    def walk(patterns: list, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
                found.add(route)

    walk(get_resolver().url_patterns, "")
    paths = set()
    for route in found:
        if "(?P<format>" in route:
            continue  # DRF's format-suffix twins
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>", r"{\1\2}", route)
        # drf-spectacular calls a primary key by its field name, id.
        path = path.replace("{pk}", "{id}").replace("^", "").replace("$", "")
        paths.add("/" + path)
    return paths


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)  # raises with the first violation of the OpenAPI 3 specification


def test_the_served_schema_is_the_generated_one():
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    validate(response.json())


def test_every_api_route_is_in_the_schema(schema):
    assert api_routes() - OUTSIDE_THE_SCHEMA - set(schema["paths"]) == set()


def test_every_operation_documents_a_success_with_its_body(schema):
    undocumented = []
    for path, method, operation in operations(schema):
        success = [code for code in operation["responses"] if code.startswith("2")]
        bodies = [operation["responses"][code].get("content") for code in success]
        if not success or (method != "delete" and not any(bodies) and "204" not in success):
            undocumented.append(f"{method.upper()} {path}")
    assert undocumented == []


def test_every_write_documents_its_request_body(schema):
    # Action endpoints that take no input (submit-for-approval, mark-submitted…) are exempt.
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in operations(schema)
        if method in ("put", "patch") and "requestBody" not in operation
    ]
    assert missing == []


def test_every_operation_documents_the_errors_it_can_answer_with(schema):
    missing = {}
    for path, method, operation in operations(schema):
        expected = {"400", "404"} if method == "get" else {"400"}
        if path != "/api/v1/auth/token/":
            expected.add("401")
        if "{alliance_slug}" in path:
            expected |= {"403", "404"}
            if method != "get":
                expected.add("409")
        gaps = expected - set(operation["responses"])
        if gaps:
            missing[f"{method.upper()} {path}"] = sorted(gaps)
    assert missing == {}


def test_errors_have_the_api_md_shape(schema):
    detail = schema["components"]["schemas"]["Error"]
    assert detail["required"] == ["detail"]
    operation = schema["paths"]["/api/v1/a/{alliance_slug}/tenders/"]["post"]
    assert operation["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    bad_input = operation["responses"]["400"]["content"]["application/json"]["schema"]
    assert bad_input["type"] == "object" and bad_input["additionalProperties"] is True


def test_tenant_operations_take_the_acting_agency_header(schema):
    operation = schema["paths"]["/api/v1/a/{alliance_slug}/declarations/"]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "X-Agency")
    assert header["in"] == "header" and not header.get("required", False)


def test_token_issue_documents_its_throttle(schema):
    assert "429" in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]


@pytest.mark.parametrize(("method", "path"), MAIN_FLOWS)
def test_the_main_flows_carry_worked_examples(schema, method, path):
    body = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
    assert body.get("examples"), f"{method.upper()} {path} has no request example"


def test_a_url_no_api_route_matches_is_the_apis_json_404_and_a_page_the_sites_own(world):
    api = APIClient().get("/api/v1/a/home/tenders/0.5/")
    assert api.status_code == 404
    assert api["Content-Type"] == "application/json"
    assert api.json() == {"detail": "Not found."}
    page = APIClient().get("/a/home/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
