"""The OpenAPI schema (navi_project/openapi.py): valid by validators no one here wrote, complete against the URL
conf, true to the contract's open endpoints, and true to what the server really answers."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker
from openapi_spec_validator import validate

from tests.e2e.client import rest
from tests.e2e.oauth_users import new_account, signed_in

# CONTRACT section 5: the only endpoints that answer without an auth session. /api/schema and /api/docs are not
# among them, so they need one like everything else (docs/admin.md).
OPEN = {"/", "/health", "/auth/login", "/auth/callback", "/auth/mobile-done", "/webhooks/gnexus-auth", "/static/{path}"}
# Not API endpoints: the console is Django's own HTML pages.
NOT_IN_SCHEMA = ("django-admin/",)
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(json.dumps(generated))  # plain JSON types, as served


def _routes(patterns=None, prefix: str = ""):
    """(openapi path, callback) for every route of the URL conf, nested includes too."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(NOT_IN_SCHEMA):
            continue
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route), pattern.callback


def test_openapi_spec_validator_finds_the_schema_valid(schema):
    validate(schema)  # raises on any violation of the OpenAPI 3.0 specification
    assert schema["openapi"].startswith("3.0")


def test_drf_spectacular_validates_it_with_no_warning_or_error(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert yaml.safe_load(target.read_text())["info"]["title"] == "Navi API"


def test_every_route_of_the_url_conf_is_in_the_schema_with_each_of_its_methods(schema):
    routes = list(_routes())
    assert len(routes) > 20  # the walk found the routes (29 today)
    for path, callback in routes:
        described = getattr(callback, "cls", None)
        assert described is not None, f"{path}: a plain view needs @plain_operation (navi_project/openapi.py)"
        assert path in schema["paths"], f"{path} is missing from the schema"
        methods = {m.lower() for m in described().allowed_methods} & set(METHODS)
        assert methods and methods <= set(schema["paths"][path]), f"{path}: {methods} vs {set(schema['paths'][path])}"


def test_only_the_contracts_open_endpoints_go_without_auth_and_the_rest_take_cookie_or_bearer(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["navi_auth_session"] == {**schemes["navi_auth_session"], "type": "apiKey", "in": "cookie"}
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    for path, item in schema["paths"].items():
        for method in set(item) & set(METHODS):
            security = item[method]["security"]
            if path in OPEN:
                assert security == [{}], (path, method)
            else:
                assert security == [{"navi_auth_session": []}, {"bearer": []}], (path, method)
                assert "401" in item[method]["responses"], (path, method)


def test_errors_are_described_in_the_one_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["properties"].keys() == {"detail", "error"} and set(error["required"]) == {"detail", "error"}
    ids = []
    for path, item in schema["paths"].items():
        for method in set(item) & set(METHODS):
            operation = item[method]
            ids.append(operation["operationId"])
            assert operation.get("summary") or operation.get("description"), (path, method)
            errors = {code: r for code, r in operation["responses"].items() if code >= "400"}
            for code, response in errors.items():
                body = response["content"].get("application/json", {}).get("schema")
                if body is not None:
                    assert body == {"$ref": "#/components/schemas/Error"}, (path, method, code)
                assert response["description"], (path, method, code)
            if "{" in path:
                assert "404" in errors, (path, method)
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                assert "400" in errors, (path, method)
    assert len(ids) == len(set(ids)), "operation ids must be unique"
    assert "415" in schema["paths"]["/admin/users/{user_id}/role"]["patch"]["responses"]
    assert "403" in schema["paths"]["/admin/sessions"]["get"]["responses"]
    assert "409" in schema["paths"]["/sessions/{session_id}/messages"]["post"]["responses"]
    assert "413" in schema["paths"]["/sessions/{session_id}/files"]["post"]["responses"]


def test_the_admin_endpoints_describe_their_parameters_and_bodies(schema):
    params = {p["name"]: p["schema"] for p in schema["paths"]["/admin/sessions"]["get"]["parameters"]}
    assert params["limit"] == {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}
    assert params["offset"]["minimum"] == 0 and params["offset"]["default"] == 0
    assert params["sort_by"]["enum"] == ["last_active", "created_at", "name", "profile_id", "user_id", "pinned"]
    assert params["sort_by"]["default"] == "last_active" and params["sort_order"]["default"] == "desc"
    memory = {p["name"]: p["schema"] for p in schema["paths"]["/admin/memory"]["get"]["parameters"]}
    assert memory["sort_by"]["enum"] == ["updated_at", "category", "key", "confidence", "source"]
    assert memory["user_id"]["format"] == "uuid"
    components = schema["components"]["schemas"]
    item = components["AdminMemoryListItem"]
    assert "user_id" in item["required"]
    role = schema["paths"]["/admin/users/{user_id}/role"]["patch"]["requestBody"]
    body = components[role["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert role["required"] is True and body["required"] == ["role"]
    availability = schema["paths"]["/admin/profiles/{profile_id}/availability"]["patch"]["requestBody"]
    body = components[availability["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert body["properties"]["is_admin_only"]["type"] == "boolean" and body["required"] == ["is_admin_only"]


def _inline(node, components: dict):
    """The schema with its $refs replaced by what they name (Navi's schema has no recursive components)."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(components[node["$ref"].rsplit("/", 1)[1]], components)
        return {key: _inline(value, components) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(value, components) for value in node]
    return node


def _check(schema: dict, response, path: str, method: str) -> None:
    """The answer's body is what the schema says this operation answers with this status."""
    described = schema["paths"][path][method]["responses"][str(response.status_code)]
    body_schema = _inline(described["content"]["application/json"]["schema"], schema["components"]["schemas"])
    OAS30ReadValidator(body_schema, format_checker=oas30_format_checker).validate(response.json())


def test_the_servers_answers_are_what_the_schema_says(live, schema):
    with rest(live.url) as api:
        _check(schema, api.get("/health"), "/health", "get")
        _check(schema, api.get("/auth/me"), "/auth/me", "get")
        _check(schema, api.get("/agents/profiles"), "/agents/profiles", "get")
        _check(schema, api.get("/agents/tools"), "/agents/tools", "get")
        created = api.post("/sessions", json={"profile_id": "secretary"})
        _check(schema, created, "/sessions", "post")
        sid = created.json()["session_id"]
        s = "/sessions/{session_id}"
        _check(schema, api.post(f"/sessions/{sid}/messages", json={"content": "hi"}), s + "/messages", "post")
        _check(schema, api.post(f"/sessions/{sid}/generate-name"), s + "/generate-name", "post")
        upload = api.post(f"/sessions/{sid}/files", files={"file": ("a.txt", b"abc", "text/plain")})
        _check(schema, upload, s + "/files", "post")
        _check(schema, api.get("/sessions"), "/sessions", "get")
        _check(schema, api.get(f"/sessions/{sid}"), s, "get")
        _check(schema, api.patch(f"/sessions/{sid}/pin", json={"pinned": True}), s + "/pin", "patch")
        _check(schema, api.get(f"/sessions/{sid}/context"), s + "/context", "get")
        _check(schema, api.get(f"/sessions/{sid}/planning"), s + "/planning", "get")
        _check(schema, api.post(f"/sessions/{sid}/stop"), s + "/stop", "post")
        _check(schema, api.get("/admin/sessions", params={"search": sid}), "/admin/sessions", "get")
        _check(schema, api.get("/admin/memory"), "/admin/memory", "get")
        _check(schema, api.get("/admin/users"), "/admin/users", "get")
        _check(schema, api.get("/admin/profiles"), "/admin/profiles", "get")
        # Errors, in the one shape.
        _check(schema, api.get("/sessions/nope"), s, "get")
        _check(schema, api.post("/sessions", json={}), "/sessions", "post")
        _check(schema, api.get("/admin/sessions", params={"limit": 0}), "/admin/sessions", "get")
        role = api.patch("/admin/users/nobody/role", json={"role": "admin"})
        _check(schema, role, "/admin/users/{user_id}/role", "patch")
        availability = api.patch("/admin/profiles/nope/availability", json={"is_admin_only": True})
        _check(schema, availability, "/admin/profiles/{profile_id}/availability", "patch")
        assert [role.status_code, availability.status_code] == [404, 404]


def test_the_schema_and_its_docs_page_are_served_with_nothing_from_elsewhere(live, schema):
    with rest(live.url) as api:
        served = api.get("/api/schema")
        assert served.status_code == 200 and served.headers["content-type"].startswith("application/vnd.oai.openapi")
        assert yaml.safe_load(served.text)["paths"].keys() == schema["paths"].keys()
        as_json = api.get("/api/schema", params={"format": "json"})
        assert as_json.json()["components"]["securitySchemes"].keys() == {"navi_auth_session", "bearer"}
        page = api.get("/api/docs")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert len(assets) >= 3 and all(a.startswith("/static/drf_spectacular_sidecar/") for a in assets), assets
        assert "/api/schema" in page.text and "validatorUrl" in page.text
        for asset in assets:
            answer = api.get(asset)
            assert answer.status_code == 200 and len(answer.content) > 100, asset


def test_in_oauth_mode_the_schema_and_docs_need_a_sign_in(oauth_navi):
    with rest(oauth_navi.url) as anonymous:
        for path in ("/api/schema", "/api/schema?format=json", "/api/docs"):
            refused = anonymous.get(path, headers={"Accept": "text/html,*/*"})
            assert refused.status_code == 401, path
            assert refused.json()["error"] == "Authentication credentials were not provided.", path
    with signed_in(oauth_navi, new_account(oauth_navi.oauth)) as user:
        assert user.get("/api/schema", params={"format": "json"}).json()["info"]["title"] == "Navi API"
        assert user.get("/api/docs").status_code == 200
