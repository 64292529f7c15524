"""The project's WSGI application (same start-up checks) with the bench URLs added. Only bench/ uses it."""

from django.conf import settings

from settings.wsgi import application

settings.ROOT_URLCONF = "bench.bare_app.urls"

__all__ = ["application"]
