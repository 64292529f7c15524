"""Project URLs. Each channel mounts the URLs its description names; each app that provides a skill of this
instance mounts its ``urls`` module, if it has one, under ``/api/``."""

from collections.abc import Callable
from functools import cache
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLResolver, include, path
from django.urls.resolvers import RoutePattern
from django.views.decorators.csrf import csrf_exempt

from alfred.channels import channel_descriptions
from alfred.health import healthz
from alfred.metrics import metrics_view


@cache
def _schema_view() -> Callable[..., HttpResponse]:
    # drf_spectacular.views imports django.test, unittest, pygments and requests (+13 MiB): loaded by the first
    # request for the schema, not by the first request of every web process (the URLconf is read then).
    from drf_spectacular.views import SpectacularAPIView

    return SpectacularAPIView.as_view()


@csrf_exempt
def api_schema(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """The OpenAPI schema of the skills' APIs (drf-spectacular)."""
    return _schema_view()(request, *args, **kwargs)


def skill_api_modules() -> list[str]:
    modules: list[str] = []
    for skill_path in settings.ALFRED_SKILLS:
        app = apps.get_containing_app_config(skill_path)
        if app is None or app.name == "alfred":
            continue
        module = f"{app.name}.urls"
        if module not in modules and find_spec(module) is not None:
            modules.append(module)
    return modules


urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("api/schema/", api_schema, name="api-schema"),
    # No trailing slash: the path every Prometheus scrape config defaults to.
    path("metrics", metrics_view, name="metrics"),
]
urlpatterns += [path("", include(description.urls)) for description in channel_descriptions() if description.urls]
# Named by module, not include()d: Django imports a resolver's module the first time a path under it is
# resolved (or a URL reversed), so a web process that answers webhooks never loads DRF's views, the schema
# decorators' drf_spectacular.openapi, jinja2 and unittest (README "Benchmarks", memory).
urlpatterns += [URLResolver(RoutePattern("api/", is_endpoint=False), module) for module in skill_api_modules()]
