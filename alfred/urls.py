"""Project URLs. Channel apps add their webhook routes only when installed in this instance."""

from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from alfred.health import HealthView


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


urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz/", HealthView.as_view(checks=health_checks()), name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]

for app, prefix in (("channels_wa", ""), ("channels_slack", ""), ("home_skills", "api/"), ("work_skills", "api/")):
    if apps.is_installed(app):
        try:
            urlpatterns.append(path(prefix, include(f"{app}.urls")))
        except ModuleNotFoundError:
            continue
