"""Bench-only URLs: the project's own, plus a bare Django view to compare the webhook with."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from alfred.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    """The floor: the same server, middleware and request body, and no work at all."""
    return HttpResponse(status=200)


urlpatterns = [path("bench/bare/", bare), *project_urlpatterns]
