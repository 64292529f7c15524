"""``/healthz/``: the view and our extra health checks."""

import asyncio
import dataclasses
from typing import Any

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


class HealthView(HealthCheckView):
    """The library's view answers by content negotiation: its HTML page needs a template we do not install
    (a 500 for curl and for Fly's checker, which send no JSON Accept header) and a failing check is a 500
    too. A health check is read by machines: one JSON body for every client, 503 when a check fails, so
    "unavailable" is never mistaken for "crashed"."""

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with self.get_executor() as executor:
            self.results = await asyncio.gather(*(check.get_result(executor) for check in self.get_checks()))
        unhealthy = any(result.error for result in self.results)
        return self.render_to_response_json(503 if unhealthy else 200)


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Unapplied migrations mean the code and the schema disagree."""

    def run(self) -> None:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise ServiceUnavailable(f"{len(pending)} unapplied migration(s)")
