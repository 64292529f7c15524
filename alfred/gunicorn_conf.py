"""gunicorn's configuration (``gunicorn -c python:alfred.gunicorn_conf``): its own log lines, the access log
included, in the instance's format and through the redacting filter, like every other process's.

gunicorn's master reads this before any Django code runs and never loads the settings, so the instance and
the format come from the environment here.
"""

import os

from alfred.logs import dev_mode_from_environment, log_format, log_to_stdout, logging_config

# The worker, forked from the master, inherits this: Django's logging configuration there writes to stdout too.
log_to_stdout()

# The access log is on; its lines go through the root logger's handler below.
accesslog = "-"
# The request line with its query string, the status, the size, the duration in microseconds and the client:
# the verify token in Meta's GET /webhooks/whatsapp/?hub.verify_token=… is redacted by the filter.
# And the request's id (alfred/log_context.py), from the response header the app sets.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(D)sus "%(a)s" request_id=%({x-request-id}o)s'
logconfig_dict = logging_config(
    os.environ.get("INSTANCE", "") or "unknown",
    level=os.environ.get("LOG_LEVEL", "") or "INFO",
    style=log_format(dev_mode=dev_mode_from_environment()),
    loggers={
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
    },
)
