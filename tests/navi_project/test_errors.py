"""One JSON error shape for every 4xx/5xx of the API, Django's own answers included, with DEBUG off and on."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from navi_project.errors import ApplicationError, error_event

pytestmark = pytest.mark.django_db

SHAPE = {"detail", "error"}


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def client(request, settings):
    settings.DEBUG = request.param
    settings.ROOT_URLCONF = "tests.navi_project.failing_urls"
    return Client(raise_request_exception=False)


def error_of(response, status: int) -> str:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == SHAPE and body["detail"] == body["error"]
    return body["detail"]


def test_a_foreign_host_answers_json_400(client):
    message = error_of(client.get("/health", HTTP_HOST="evil.example"), 400)
    assert "Host" in message
    assert error_of(client.post("/sessions", {}, HTTP_HOST="evil.example"), 400) == message


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_a_wrong_method_on_health_answers_json_405_naming_the_allowed_ones(client, method):
    response = getattr(client, method)("/health")
    message = error_of(response, 405)
    assert method.upper() in message and "GET" in message
    assert "GET" in response["Allow"]


def test_a_wrong_method_on_a_drf_endpoint_answers_json_405(client):
    assert "PUT" in error_of(client.put("/sessions", {}, content_type="application/json"), 405)


def test_an_unknown_url_answers_json_404(client):
    assert error_of(client.get("/no/such/page"), 404) == "Not found"
    assert error_of(client.get("/static/no-such-file.js"), 404) == "Not found"


@pytest.mark.parametrize("url", ["/fail/plain", "/fail/api"])
def test_a_failing_view_answers_json_500_without_traceback(client, url):
    response = client.get(url)
    assert error_of(response, 500) == "Internal server error"
    assert b"Traceback" not in response.content and b"secret detail" not in response.content


def test_a_csrf_failure_answers_json_403(settings):
    settings.ROOT_URLCONF = "tests.navi_project.failing_urls"
    client = Client(enforce_csrf_checks=True)
    assert "CSRF" in error_of(client.post("/static/js/app.js"), 403)


def test_a_cross_site_request_answers_json_403(client):
    response = client.post(
        "/sessions", {"profile_id": "secretary"}, "application/json", HTTP_ORIGIN="http://evil.example"
    )
    assert "Cross-site" in error_of(response, 403)


def test_a_json_body_past_the_limit_answers_json_413(client, settings):
    big = json.dumps({"profile_id": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    assert "larger" in error_of(client.post("/sessions", big, "application/json"), 413)


def test_a_body_that_is_not_json_answers_json_400_or_415(client):
    assert "JSON" in error_of(client.post("/sessions", b"{nope", "application/json"), 400)
    assert error_of(client.post("/sessions", b"profile_id=x", "application/x-www-form-urlencoded"), 415)


def test_pages_that_are_html_by_design_keep_their_html_errors(settings):
    settings.DEBUG = True
    response = Client().get("/django-admin/no-such-page/")
    assert response.status_code in (302, 404) and not response.get("Content-Type", "").startswith("application/json")


def test_the_websocket_error_event_renders_an_application_error_as_the_protocol_says():
    assert json.loads(error_event(ApplicationError("content must be non-empty text"))) == {
        "type": "error",
        "message": "content must be non-empty text",
    }
    assert json.loads(error_event("plain text")) == {"type": "error", "message": "plain text"}
