"""WSGI entry point. Refuses to serve when an isolation check fails, like every other entry point."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.home")

application = get_wsgi_application()

from alfred.checks import assert_startup_checks  # noqa: E402  (needs the app registry)

assert_startup_checks()
