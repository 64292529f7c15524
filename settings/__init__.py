"""Settings package: ``settings.home`` and ``settings.biz`` are the two deployable instances."""

from settings.celery import app as celery_app

__all__ = ["celery_app"]
