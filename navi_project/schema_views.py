"""/api/schema and /api/docs. Apart from navi_project.openapi: this module uses `extend_schema` as it loads, which
needs DEFAULT_SCHEMA_CLASS (navi_project.openapi.NaviAutoSchema) importable first."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.renderers import JSONRenderer

from navi_project.openapi import html_response


class _JsonErrors:
    """An error (401 without a sign-in) answers in Navi's one JSON shape, as every endpoint does: not as YAML or
    an HTML page, which is what these views render otherwise."""

    def handle_exception(self, exc):
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return super().handle_exception(exc)


class ApiSchemaView(_JsonErrors, SpectacularAPIView):
    """GET /api/schema: YAML by default; JSON with `?format=json` or `Accept: application/json`."""


class ApiDocsView(_JsonErrors, SpectacularSwaggerView):
    """GET /api/docs: Swagger UI over /api/schema, its files served by Navi itself (drf-spectacular-sidecar)."""

    url_name = "api-schema"

    @extend_schema(
        operation_id="api_docs",
        summary="This API's browsable documentation (Swagger UI)",
        responses=html_response("The Swagger UI page"),
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
