"""A bare Django + Celery project, the floor ``bench/memory.py`` compares the instance with: one app with one
model, the admin, Postgres, a Redis broker, a webhook view that stores a row and queues a task, a task that
updates the row and posts a reply to the Graph API stand-in, and beat with two periodic tasks; run in
``fly/start.sh``'s layout (gunicorn gthread 1×4 + ``celery worker -B --pool=threads``). No provider SDK, no
Alfred code. (``bench/bare_app`` is something else: Alfred itself plus a bare view, for the webhook bench.)"""

# Django's documented pattern: the Celery app loads with Django, so shared tasks queued by the web process use it.
from bench.bare_project.celery import app as celery_app

__all__ = ["celery_app"]
