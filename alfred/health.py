"""Extra health checks for ``/healthz/``."""

import dataclasses

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Unapplied migrations mean the code and the schema disagree."""

    def run(self) -> None:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise ServiceUnavailable(f"{len(pending)} unapplied migration(s)")
