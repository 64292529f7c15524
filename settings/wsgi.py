"""WSGI entry point. Refuses to serve when an isolation check fails, like every other entry point."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.home")

application = get_wsgi_application()

from alfred.boot import WEB, instance_boot  # noqa: E402  (needs the app registry)

instance_boot(WEB)
