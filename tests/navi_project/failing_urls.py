"""The project's URLs plus two views that fail, for the 500 answers of tests/navi_project/test_errors.py."""

from __future__ import annotations

from django.urls import path
from rest_framework.views import APIView

from navi_project.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


class Failure(Exception):
    pass


def failing_plain_view(request):
    raise Failure("secret detail of a plain view")


class FailingApi(APIView):
    def get(self, request):
        raise Failure("secret detail of a DRF view")


urlpatterns = [*urlpatterns, path("fail/plain", failing_plain_view), path("fail/api", FailingApi.as_view())]
