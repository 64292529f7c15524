"""Project URLs. Each channel mounts the URLs its description names; each app that provides a skill of this
instance mounts its ``urls`` module, if it has one, under ``/api/``."""

from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from alfred.channels import channel_descriptions
from alfred.health import HealthView
from alfred.metrics import metrics_view


def health_checks() -> list[Any]:
    checks: list[Any] = ["health_check.checks.Database", "health_check.checks.Cache", "alfred.health.Migrations"]
    if settings.REDIS_URL:
        checks.append(("health_check.contrib.redis.Redis", {"client_factory": redis_client}))
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            checks.append("health_check.contrib.celery.Ping")
    return checks


def redis_client() -> Any:
    from redis.asyncio import Redis

    return Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)


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
    path("healthz/", HealthView.as_view(checks=health_checks()), name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # No trailing slash: the path every Prometheus scrape config defaults to.
    path("metrics", metrics_view, name="metrics"),
]
urlpatterns += [path("", include(description.urls)) for description in channel_descriptions() if description.urls]
urlpatterns += [path("api/", include(module)) for module in skill_api_modules()]
