"""``manage.py redis_acl``: the ``ACL SETUSER`` line that limits this instance's Redis user to its own keys."""

import shlex
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from alfred.redis_acl import RedisUrlError, acl_rules


class Command(BaseCommand):
    help = (
        "Print the ACL SETUSER command for the Redis user named in REDIS_URL: only this instance's keys "
        "(alfred:<instance>:*, the instance stamp), queues and channels, no KEYS/SCAN/FLUSHDB/CONFIG. Run it as "
        "a Redis admin, e.g. `python manage.py redis_acl | redis-cli -u <admin url>`. The password is printed "
        "as its SHA-256 only."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user, rules = acl_rules(settings.REDIS_URL)
        except RedisUrlError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(shlex.join(["ACL", "SETUSER", user, *rules]))
